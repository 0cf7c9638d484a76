// The CLI's operations commands: backups over sunlight.admin.v1.Admin (any service, the
// gateway included) and the offline restore.
//
//   sunlight backup intake --backup_dir=/var/backups/sunlight/intake
//   sunlight backup gateway scoring supervision workflow intake --backup_root=/var/backups/sunlight
//   sunlight backups intake --backup_dir=/var/backups/sunlight/intake
//   sunlight restore --backup_dir=/var/backups/sunlight/intake --data_dir=/srv/sunlight/intake
#ifndef SUNLIGHT_TOOLS_CLI_ADMIN_COMMANDS_H_
#define SUNLIGHT_TOOLS_CLI_ADMIN_COMMANDS_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "sunlight/auth/principal.h"

namespace sunlight::cli {

struct AdminCommandContext {
  // The command's words after the command itself, and its flags (name -> value, or the
  // fallback when not given).
  std::vector<std::string> positional;
  std::function<std::string(const std::string& flag, const std::string& fallback)> flag;
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  // The CLI's own key (null: calls carry no principal, for services run open).
  std::shared_ptr<const auth::PrincipalSigner> signer;
  // Who the calls are for (an administrator).
  auth::v1::Principal principal;
};

// The usage lines of the commands below (for the CLI's usage).
extern const char kAdminUsage[];

// Runs `command` when it is one of backup, backups, verify-backup, restore, restores,
// admit-reader; returns main's exit code, or -1 for any other command.
int RunAdminCommand(const std::string& command, const AdminCommandContext& context);

}  // namespace sunlight::cli

#endif  // SUNLIGHT_TOOLS_CLI_ADMIN_COMMANDS_H_
