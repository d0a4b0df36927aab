#ifndef WERSA_TLS_CREDENTIALS_H_
#define WERSA_TLS_CREDENTIALS_H_

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace wersa::tls {

// Paths of PEM files; empty means not given. Error messages name the files by
// the flags both the server and the clients use for them: --tls_cert_chain,
// --tls_private_key, and --tls_client_ca (server) or --tls_ca (clients).
struct ServerFiles {
  std::string cert_chain;   // the server's certificate, then intermediates
  std::string private_key;  // the key of its first certificate
  std::string client_ca;    // given: mutual TLS, clients signed by it only
};

struct ClientFiles {
  std::string ca;  // the CA that signed the server's certificate
  std::string cert_chain;
  std::string private_key;
};

// Plain text when no certificate chain is given; TLS with it; mutual TLS
// (client certificates required and verified) when a client CA is given too.
// Every file is read and parsed here: unreadable files, files without the
// PEM objects they should hold, and a key that does not belong to the
// certificate are INVALID_ARGUMENT errors.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerFiles& files);

// Plain text when no file is given; otherwise TLS, trusting `ca` (gRPC's
// default roots when empty) and presenting the client certificate when
// given.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>>
MakeChannelCredentials(const ClientFiles& files);

// "plaintext", "tls" or "mutual_tls", for log lines.
std::string ServerSecurity(const ServerFiles& files);

}  // namespace wersa::tls

#endif  // WERSA_TLS_CREDENTIALS_H_
