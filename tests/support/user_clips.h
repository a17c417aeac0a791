// Clips made by the ffmpeg CLI the way users make them, from lockstep-mkclip clips so that
// every frame still carries its index tag (and the audio its marks). Made once per build
// tree (test_media.h); each returns "" and fails the test when it cannot be made.
#pragma once

#include <string>

namespace lockstep::test {

/// The file: H.264 High 4:2:2 interlaced (top field first) 1080i50 in MPEG-TS with
/// MP2 audio, as `ffmpeg ... -flags +ildct+ilme -x264opts tff=1 -c:a mp2 -f mpegts` writes it
/// (start time 1.4 s), with open GOPs of 12 frames. 50 frames (2 s).
std::string ts_interlaced_422_clip();
/// 640x360 30 fps, 60 frames, remuxed into Matroska with every timestamp 5 s later
/// (`-output_ts_offset 5`): the first frame is at 5 s.
std::string late_start_clip();
/// 640x360 30 fps, 90 frames, whose audio starts 1 s after the video (`-itsoffset 1`).
std::string late_audio_clip();

/// A 640x360 30 fps clip of 30 frames stored turned or mirrored, whose display matrix turns it
/// back upright, so that its frame tags read right only when the matrix is honoured. `how`:
/// "rotate90", "rotate180", "rotate270" (made by the ffmpeg CLI: a transpose/flip filter and
/// `-metadata:s:v:0 rotate=N`), "hflip", "transpose" (FFmpeg 5.1's CLI cannot write mirrored
/// matrices: remuxed here with libavformat, the matrix set on the stream).
std::string turned_clip(const std::string& how);
/// Truly interlaced: 640x360 25 fps, 25 frames, top field first, its two fields taken 1/50 s
/// apart from a 50p picture (a white bar moving 16 px per field over rows 220..339), so the
/// bar's edges comb unless deinterlaced. Both fields of frame k carry frame k's tag.
std::string interlaced_motion_clip();
/// PAL 16:9 anamorphic: 720x576 25 fps, 25 frames, sample aspect ratio 64:45 (shown 1024x576).
std::string anamorphic_clip();

/// Sound only: the audio of a 640x360 25 fps mkclip clip of 50 frames (its marks every 25
/// frames, on the same 25 fps grid an audio-only file plays on), as `ffmpeg -vn -c:a copy`
/// writes it to .m4a (AAC).
std::string audio_only_clip();
/// Sound only, 2 s of 16-bit PCM in WAV: a 440 Hz tone at half scale (-6 dBFS) for the first
/// second, silence for the second.
std::string tone_then_silence_clip();

}  // namespace lockstep::test
