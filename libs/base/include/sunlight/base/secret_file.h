// Files that hold secrets (private keys, the token key, the data key, the audit key): read
// only when nobody but their owner can read or write them.
//
//   auto pem = ReadSecretFile("/etc/sunlight/keys/gateway.key");   // refuses a 0644 file
#ifndef SUNLIGHT_BASE_SECRET_FILE_H_
#define SUNLIGHT_BASE_SECRET_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sunlight {

// OK when `path` is a regular file (not a link) that its group and others can neither read
// nor write (mode 0600 or 0400); FAILED_PRECONDITION naming the file and its mode otherwise,
// NOT_FOUND when it is missing.
absl::Status CheckSecretFile(const std::string& path);
// OK when `path` is a directory that its group and others cannot enter (0700).
absl::Status CheckPrivateDirectory(const std::string& path);
// CheckSecretFile, then the file's whole contents.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path);
// Writes `contents` to a new file of mode 0600 (ALREADY_EXISTS if there is one).
absl::Status WriteSecretFile(const std::string& path, const std::string& contents);

}  // namespace sunlight

#endif  // SUNLIGHT_BASE_SECRET_FILE_H_
