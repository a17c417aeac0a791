// Password files: the first line is the password; every problem names the file.
#include <gtest/gtest.h>
#include <net/protocol/auth.h>
#include <support/test_media.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace lockstep::net {
namespace {

namespace fs = std::filesystem;

fs::path write_file(const std::string& name, const std::string& content,
                    fs::perms perms = fs::perms::owner_read | fs::perms::owner_write) {
  const fs::path path = fs::path(test::scratch_dir("password_file")) / name;
  fs::remove(path);
  std::ofstream(path, std::ios::binary) << content;
  fs::permissions(path, perms);
  return path;
}

TEST(ProtocolPasswordFile, ReadsTheFirstLineWithoutItsLineEnding) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"plain", "plain"},
      {"hunter2\n", "hunter2"},
      {"hunter2\r\n", "hunter2"},
      {"hunter2\nsecond line\n", "hunter2"},
      {"  spaces kept  \n", "  spaces kept  "},
  };
  for (const auto& [content, expected] : cases) {
    const fs::path path = write_file("pw", content);
    std::string warning = "stale";
    Result<std::string> password = read_password_file(path, &warning);
    ASSERT_TRUE(password.ok()) << password.error();
    EXPECT_EQ(*password, expected);
    EXPECT_TRUE(warning.empty()) << warning;
  }
}

TEST(ProtocolPasswordFile, MissingFileErrorNamesTheFile) {
  const fs::path path = fs::path(test::scratch_dir("password_file")) / "does-not-exist";
  Result<std::string> password = read_password_file(path);
  ASSERT_FALSE(password.ok());
  EXPECT_NE(password.error().find(path.string()), std::string::npos) << password.error();
}

TEST(ProtocolPasswordFile, EmptyFileOrEmptyFirstLineIsAnError) {
  for (const std::string content : {"", "\n", "\r\nsecond"}) {
    const fs::path path = write_file("empty", content);
    Result<std::string> password = read_password_file(path);
    ASSERT_FALSE(password.ok());
    EXPECT_NE(password.error().find("is empty"), std::string::npos) << password.error();
    EXPECT_NE(password.error().find(path.string()), std::string::npos) << password.error();
  }
}

TEST(ProtocolPasswordFile, DirectoryIsAnError) {
  Result<std::string> password = read_password_file(test::scratch_dir("password_file"));
  ASSERT_FALSE(password.ok());
  EXPECT_NE(password.error().find("not a regular file"), std::string::npos) << password.error();
}

TEST(ProtocolPasswordFile, OverlongFirstLineIsAnError) {
  EXPECT_TRUE(read_password_file(write_file("long", std::string(1024, 'p') + "\n")).ok());
  for (const std::string& content : {std::string(1025, 'p') + "\n", std::string(1 << 20, 'p')}) {
    Result<std::string> password = read_password_file(write_file("long", content));
    ASSERT_FALSE(password.ok());
    EXPECT_NE(password.error().find("longer than 1024"), std::string::npos) << password.error();
  }
}

TEST(ProtocolPasswordFile, FileReadableByOthersGivesAWarning) {
  const fs::path path = write_file("open", "pw\n",
                                   fs::perms::owner_read | fs::perms::owner_write |
                                       fs::perms::group_read | fs::perms::others_read);
  std::string warning;
  Result<std::string> password = read_password_file(path, &warning);
  ASSERT_TRUE(password.ok()) << password.error();
  EXPECT_EQ(*password, "pw");
  EXPECT_NE(warning.find("chmod 600"), std::string::npos) << warning;
  EXPECT_NE(warning.find(path.string()), std::string::npos) << warning;
}

TEST(ProtocolPasswordFile, UnreadableFileErrorNamesTheFile) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads any file";
  const fs::path path = write_file("locked", "pw\n", fs::perms::none);
  Result<std::string> password = read_password_file(path);
  ASSERT_FALSE(password.ok());
  EXPECT_NE(password.error().find(path.string()), std::string::npos) << password.error();
  fs::permissions(path, fs::perms::owner_all);
}

}  // namespace
}  // namespace lockstep::net
