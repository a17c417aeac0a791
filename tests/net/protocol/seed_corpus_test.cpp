// The committed fuzz seed corpus (tests/fuzz/corpus/protocol) stays valid and small: every
// seed still decodes (regenerate with lockstep-protocol-seeds after a layout change) and
// every message type has one.
#include <gtest/gtest.h>
#include <net/protocol/messages.h>
#include <net/protocol/sealer.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "fuzz_keys.h"

namespace lockstep::net {
namespace {

namespace fs = std::filesystem;

std::vector<std::uint8_t> read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(ProtocolSeedCorpus, EverySeedDecodesAndEveryMessageTypeHasOne) {
  const fs::path dir = LOCKSTEP_PROTOCOL_CORPUS;
  ASSERT_TRUE(fs::is_directory(dir)) << dir;
  std::set<std::size_t> types;
  std::size_t files = 0;
  std::uintmax_t bytes = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    ++files;
    bytes += entry.file_size();
    std::vector<std::uint8_t> packet = read_all(entry.path());
    const std::string name = entry.path().filename().string();
    if (name.rfind("sealed-", 0) == 0) {
      AeadSealer server(fuzz::session_keys(), AeadSealer::Side::Server);
      Result<std::vector<std::uint8_t>> opened = server.open(packet);
      ASSERT_TRUE(opened.ok()) << name << ": " << opened.error();
      packet = *opened;
    }
    Result<Message> message = decode(packet);
    ASSERT_TRUE(message.ok()) << name << ": " << message.error()
                              << " (regenerate: lockstep-protocol-seeds " << dir.string() << ")";
    types.insert(message->index());
  }
  EXPECT_EQ(types.size(), std::variant_size_v<Message>);
  EXPECT_LT(files, 100u);
  EXPECT_LT(bytes, 200u * 1024u);
}

}  // namespace
}  // namespace lockstep::net
