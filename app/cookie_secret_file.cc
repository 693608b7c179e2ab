#include "app/cookie_secret_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "lib/tcp/cookie_secrets.h"

namespace tern::app {

absl::StatusOr<tcp::SynCookieSecrets> LoadSynCookieSecretFile(
    const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat(
        path, ": cannot read the SYN-cookie secret: ", std::strerror(errno)));
  }
  // A secret others can read lets them forge cookies for every host that
  // shares it.
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        path,
        ": the SYN-cookie secret must not be accessible to group or "
        "others (chmod 600)"));
  }
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat(path, ": cannot open the SYN-cookie secret"));
  }
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<tcp::SynCookieSecrets> secrets =
      tcp::SynCookieSecretStore::FromHex(text.str());
  if (!secrets.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", secrets.status().message()));
  }
  return secrets;
}

}  // namespace tern::app
