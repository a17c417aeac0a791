// Writes the protocol fuzz target's seed corpus (tests/fuzz/corpus/protocol/): every sample
// message of the protocol tests small enough to be a useful seed, a Hello and a Reject
// from another protocol version, the Auth with the right proof for the fuzz target's fixed
// key, and one packet sealed with its fixed session keys.
//   lockstep-protocol-seeds <output folder>
#include <net/protocol/messages.h>
#include <net/protocol/sealer.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "fuzz_keys.h"
#include "sample_messages.h"

namespace {

using namespace lockstep::net;
namespace fs = std::filesystem;

// Big seeds slow every fuzz iteration that mutates them, and the committed corpus stays
// small; the codec tests cover the large samples.
constexpr std::size_t kMaxSeedBytes = 12 * 1024;

bool write_seed(const fs::path& dir, const std::string& name,
                const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(dir / (name + ".bin"), std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::cerr << "cannot write " << (dir / (name + ".bin")) << "\n";
    return false;
  }
  return true;
}

std::vector<std::uint8_t> encoded(const Message& m) {
  lockstep::Result<std::vector<std::uint8_t>> bytes = encode(m);
  if (!bytes) {
    std::cerr << "cannot encode " << message_name(m) << ": " << bytes.error() << "\n";
    std::exit(1);
  }
  return *bytes;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: lockstep-protocol-seeds <output folder>\n";
    return 2;
  }
  const fs::path dir = argv[1];
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    std::cerr << "cannot create " << dir << ": " << ec.message() << "\n";
    return 1;
  }
  int written = 0;
  bool ok = true;
  for (const test::SampleMessage& sample : test::all_sample_messages()) {
    const std::vector<std::uint8_t> bytes = encoded(sample.message);
    if (bytes.size() > kMaxSeedBytes) continue;
    ok &= write_seed(dir, sample.label, bytes);
    ++written;
  }

  std::vector<std::uint8_t> hello =
      encoded(Hello{.protocol_version = kProtocolVersion + 1, .node_name = "from-the-future"});
  hello[1] = static_cast<std::uint8_t>(kProtocolVersion + 1);
  hello.insert(hello.end(), {0x01, 0x02, 0x03});
  ok &= write_seed(dir, "foreign-version-Hello", hello);
  std::vector<std::uint8_t> reject = encoded(
      Reject{.reason = RejectReason::VersionMismatch, .server_version = 0, .detail = "old server"});
  reject[1] = 0;
  ok &= write_seed(dir, "foreign-version-Reject", reject);

  Auth auth;
  auth.proof.fill(0x17);
  auth.client_kx = ConnectionKx::generate().public_key;  // a valid curve point
  ok &= write_seed(dir, "valid-proof-Auth", encoded(auth));

  AeadSealer client(fuzz::session_keys(), AeadSealer::Side::Client);
  ok &= write_seed(dir, "sealed-Command",
                   client.seal(encoded(Command{.command_id = 5, .type = CommandType::Pause})));
  written += 4;

  std::cout << "wrote " << written << " seeds to " << dir.string() << "\n";
  return ok ? 0 : 1;
}
