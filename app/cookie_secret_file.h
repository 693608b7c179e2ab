// Loading a shared SYN-cookie secret from a file.
//
// Contract: the file holds the secret as 32 hexadecimal digits (16 bytes;
// white space around them is ignored), the format SynCookieSecretStore::
// FromHex parses. Several tern hosts behind an ECMP router or a load balancer
// load the same file so that each validates the cookies the others issued
// (doc/syn_cookies.md). Errors name the file and what was expected. The file
// should be readable by the operator only; LoadSynCookieSecretFile refuses a
// file that group or others may read.
#ifndef TERN_APP_COOKIE_SECRET_FILE_H_
#define TERN_APP_COOKIE_SECRET_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "lib/tcp/syn_cookie.h"

namespace tern::app {

absl::StatusOr<tcp::SynCookieSecrets> LoadSynCookieSecretFile(
    const std::string& path);

}  // namespace tern::app

#endif  // TERN_APP_COOKIE_SECRET_FILE_H_
