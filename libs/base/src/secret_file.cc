#include "sunlight/base/secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace sunlight {
namespace {

absl::StatusOr<struct stat> Stat(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
    return absl::FailedPreconditionError(absl::StrCat(path, ": ", std::strerror(errno)));
  }
  return st;
}

}  // namespace

absl::Status CheckSecretFile(const std::string& path) {
  auto st = Stat(path);
  if (!st.ok()) return st.status();
  if (!S_ISREG(st->st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": not a regular file"));
  }
  if ((st->st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        absl::StrFormat("%s: mode %04o lets others read or write a secret; chmod 600 it", path,
                        st->st_mode & 07777));
  }
  return absl::OkStatus();
}

absl::Status CheckPrivateDirectory(const std::string& path) {
  auto st = Stat(path);
  if (!st.ok()) return st.status();
  if (!S_ISDIR(st->st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": not a directory"));
  }
  if ((st->st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        absl::StrFormat("%s: mode %04o lets others into a directory of secrets; chmod 700 it", path,
                        st->st_mode & 07777));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadSecretFile(const std::string& path) {
  if (absl::Status s = CheckSecretFile(path); !s.ok()) return s;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return absl::FailedPreconditionError(absl::StrCat(path, ": ", std::strerror(errno)));
  std::string contents;
  char buffer[4096];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      close(fd);
      return absl::FailedPreconditionError(absl::StrCat(path, ": ", std::strerror(errno)));
    }
    if (n == 0) break;
    contents.append(buffer, static_cast<size_t>(n));
    if (contents.size() > (1 << 20)) {
      close(fd);
      return absl::FailedPreconditionError(absl::StrCat(path, ": larger than 1 MiB"));
    }
  }
  close(fd);
  return contents;
}

absl::Status WriteSecretFile(const std::string& path, const std::string& contents) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return absl::AlreadyExistsError(absl::StrCat(path, ": exists"));
    return absl::FailedPreconditionError(absl::StrCat(path, ": ", std::strerror(errno)));
  }
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      close(fd);
      return absl::FailedPreconditionError(absl::StrCat(path, ": ", std::strerror(errno)));
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace sunlight
