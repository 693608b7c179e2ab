#include "app/cookie_secret_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace tern::app {
namespace {

std::string WriteTemp(const std::string& content, mode_t mode) {
  char name[] = "/tmp/tern_cookie_secret_XXXXXX";
  int fd = mkstemp(name);
  EXPECT_GE(fd, 0);
  close(fd);
  std::ofstream(name) << content;
  chmod(name, mode);
  return name;
}

TEST(CookieSecretFile, ValidFile_Loaded) {
  std::string path = WriteTemp("00112233445566778899aabbccddeeff\n", 0600);
  auto s = LoadSynCookieSecretFile(path);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->key.k0, 0x7766554433221100ULL);
  EXPECT_EQ(s->key.k1, 0xffeeddccbbaa9988ULL);
  std::remove(path.c_str());
}

TEST(CookieSecretFile, SameFile_SameSecretForEveryHost) {
  std::string path = WriteTemp("0f0e0d0c0b0a09080706050403020100", 0400);
  auto a = LoadSynCookieSecretFile(path);
  auto b = LoadSynCookieSecretFile(path);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->key, b->key);
  std::remove(path.c_str());
}

TEST(CookieSecretFile, Missing_ErrorNamesFile) {
  auto s = LoadSynCookieSecretFile("/nonexistent/tern/secret");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("/nonexistent/tern/secret"),
            std::string::npos);
}

TEST(CookieSecretFile, WorldReadable_Refused) {
  std::string path = WriteTemp("00112233445566778899aabbccddeeff", 0644);
  auto s = LoadSynCookieSecretFile(path);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("chmod 600"), std::string::npos);
  std::remove(path.c_str());
}

TEST(CookieSecretFile, BadContent_ErrorNamesFileAndExpectation) {
  std::string path = WriteTemp("not a secret", 0600);
  auto s = LoadSynCookieSecretFile(path);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find(path), std::string::npos);
  EXPECT_NE(s.status().message().find("32 hexadecimal digits"),
            std::string::npos);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace tern::app
