#!/usr/bin/env bash
# Writes the media fuzz target's seed corpus (tests/fuzz/corpus/media/) with the ffmpeg CLI:
# tiny files (a few KB; a fuzz input is at most 64 KiB) in the containers and codecs users
# bring, each a few frames with keyframes close together so that the fuzzer's seek lands
# somewhere: H.264 + AAC in MP4, interlaced H.264 + MP2 in MPEG-TS, VP9 4:4:4 + Opus in
# Matroska starting at 2 s, HEVC 10-bit, MPEG-2 4:2:2 in MPEG-PS, MJPEG + PCM in AVI,
# ProRes 4:2:2 10-bit in MOV, MPEG-4 part 2 with B-frames, FFV1, an MP4 turned 90°, a
# truncated MP4, one PNG, and audio without video (WAV, MP3: refused with their reason).
#   tests/fuzz/make_media_seeds.sh [output folder]   (default: tests/fuzz/corpus/media)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out="${1:-$here/corpus/media}"
mkdir -p "$out"
command -v ffmpeg >/dev/null || { echo "make_media_seeds.sh: needs the ffmpeg CLI" >&2; exit 1; }

ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }
# Small moving pictures and a tone; bit-exact muxing so that regenerating changes nothing.
video() { echo "testsrc2=size=$1:rate=${2:-25}"; }
tone() { echo "sine=frequency=440:sample_rate=${1:-48000}"; }
exact=(-fflags +bitexact -flags:v +bitexact -flags:a +bitexact -map_metadata -1)

ff -f lavfi -i "$(video 64x48)" -f lavfi -i "$(tone 44100)" -t 0.48 -ac 2 \
   -c:v libx264 -preset ultrafast -g 5 -bf 2 -pix_fmt yuv420p -c:a aac -b:a 24k "${exact[@]}" \
   "$out/h264-aac.mp4"
ff -f lavfi -i "$(video 64x64)" -f lavfi -i "$(tone)" -t 0.32 -ac 2 \
   -c:v libx264 -preset ultrafast -g 4 -flags +ildct+ilme -x264-params tff=1 -pix_fmt yuv420p \
   -c:a mp2 -b:a 64k "${exact[@]}" "$out/h264-interlaced-mp2.ts"
ff -f lavfi -i "$(video 48x32)" -f lavfi -i "$(tone)" -t 0.28 -ac 2 \
   -c:v libvpx-vp9 -deadline realtime -g 3 -pix_fmt yuv444p -b:v 100k -c:a libopus -b:a 16k \
   -output_ts_offset 2 "${exact[@]}" "$out/vp9-444-opus-start2s.mkv"
ff -f lavfi -i "$(video 64x64)" -t 0.24 -c:v libx265 -preset ultrafast -x265-params log-level=none:keyint=3 \
   -pix_fmt yuv420p10le "${exact[@]}" "$out/hevc-10bit.mkv"
ff -f lavfi -i "$(video 48x32)" -f lavfi -i "$(tone 32000)" -t 0.24 -ac 1 \
   -c:v mpeg2video -g 3 -bf 1 -pix_fmt yuv422p -q:v 10 -c:a mp2 -b:a 32k "${exact[@]}" \
   "$out/mpeg2-422-mp2.mpg"
ff -f lavfi -i "$(video 32x32 10)" -f lavfi -i "$(tone 8000)" -t 0.3 -ac 1 \
   -c:v mjpeg -q:v 20 -pix_fmt yuvj422p -c:a pcm_s16le "${exact[@]}" "$out/mjpeg-pcm.avi"
ff -f lavfi -i "$(video 32x16)" -t 0.12 -c:v prores_ks -profile:v 0 -pix_fmt yuv422p10le \
   "${exact[@]}" "$out/prores-422-10bit.mov"
ff -f lavfi -i "$(video 48x32)" -t 0.4 -c:v mpeg4 -g 4 -bf 2 -q:v 12 "${exact[@]}" "$out/mpeg4-bframes.avi"
ff -f lavfi -i "$(video 32x16)" -t 0.12 -c:v ffv1 -g 2 "${exact[@]}" "$out/ffv1.mkv"
ff -f lavfi -i "$(video 48x32)" -t 0.24 -c:v libx264 -preset ultrafast -g 3 -pix_fmt yuv420p \
   -metadata:s:v:0 rotate=90 -fflags +bitexact -flags:v +bitexact "$out/h264-rotate90.mp4"
ff -f lavfi -i "$(video 64x48)" -t 0.4 -c:v libx264 -preset ultrafast -g 4 -pix_fmt yuv420p \
   -movflags +faststart "${exact[@]}" "$out/whole.tmp.mp4"
head -c $(( $(stat -c %s "$out/whole.tmp.mp4") * 3 / 5 )) "$out/whole.tmp.mp4" >"$out/h264-truncated.mp4"
rm "$out/whole.tmp.mp4"
ff -f lavfi -i "$(video 16x16)" -frames:v 1 -f image2 -c:v png "$out/still.png"
ff -f lavfi -i "$(tone 8000)" -t 0.1 -ac 1 -c:a pcm_s16le "${exact[@]}" "$out/audio-only.wav"
ff -f lavfi -i "$(tone 22050)" -t 0.2 -ac 1 -c:a libmp3lame -b:a 32k "${exact[@]}" "$out/audio-only.mp3"

ls -l "$out"
du -sh "$out"
