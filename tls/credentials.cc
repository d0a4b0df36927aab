#include "tls/credentials.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace wersa::tls {
namespace {

struct FileCloser {
  void operator()(FILE* file) const { std::fclose(file); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Certificate = std::unique_ptr<X509, X509Free>;
using PrivateKey = std::unique_ptr<EVP_PKEY, KeyFree>;

// A named PEM file and its contents.
struct PemFile {
  std::string flag;
  std::string path;
  std::string text;

  std::string Name() const { return absl::StrCat(flag, " ", path); }
  std::unique_ptr<BIO, BioFree> Bio() const {
    return std::unique_ptr<BIO, BioFree>(
        BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  }
};

absl::StatusOr<PemFile> ReadFile(const std::string& flag,
                                 const std::string& path) {
  PemFile file{flag, path, ""};
  std::unique_ptr<FILE, FileCloser> stream(std::fopen(path.c_str(), "rb"));
  if (stream == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(file.Name(), ": cannot read it: ", std::strerror(errno)));
  }
  char buffer[4096];
  size_t read = 0;
  while ((read = std::fread(buffer, 1, sizeof(buffer), stream.get())) > 0) {
    file.text.append(buffer, read);
  }
  if (std::ferror(stream.get()) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(file.Name(), ": cannot read it: ", std::strerror(errno)));
  }
  return file;
}

// The file's first certificate, after checking that it holds at least one.
absl::StatusOr<Certificate> FirstCertificate(const PemFile& file) {
  auto bio = file.Bio();
  Certificate first(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (first == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(file.Name(), ": no PEM certificate in it"));
  }
  return first;
}

absl::StatusOr<PemFile> ReadCertificates(const std::string& flag,
                                         const std::string& path) {
  absl::StatusOr<PemFile> file = ReadFile(flag, path);
  if (!file.ok()) return file.status();
  if (absl::StatusOr<Certificate> first = FirstCertificate(*file);
      !first.ok()) {
    return first.status();
  }
  return file;
}

// The certificate chain and its private key, checked to belong together.
absl::StatusOr<std::pair<PemFile, PemFile>> ReadKeyPair(
    const std::string& cert_chain_path, const std::string& private_key_path) {
  if (cert_chain_path.empty() != private_key_path.empty()) {
    return absl::InvalidArgumentError(
        "--tls_cert_chain and --tls_private_key are given together or not at "
        "all");
  }
  absl::StatusOr<PemFile> chain = ReadFile("--tls_cert_chain", cert_chain_path);
  if (!chain.ok()) return chain.status();
  absl::StatusOr<Certificate> certificate = FirstCertificate(*chain);
  if (!certificate.ok()) return certificate.status();
  absl::StatusOr<PemFile> key = ReadFile("--tls_private_key", private_key_path);
  if (!key.ok()) return key.status();
  auto bio = key->Bio();
  // No passphrase prompt on the terminal: an encrypted key is refused.
  const PrivateKey private_key(PEM_read_bio_PrivateKey(
      bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr));
  ERR_clear_error();
  if (private_key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(key->Name(), ": no unencrypted PEM private key in it"));
  }
  if (X509_check_private_key(certificate->get(), private_key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat(key->Name(), ": not the key of the first certificate of ",
                     chain->Name()));
  }
  return std::make_pair(*std::move(chain), *std::move(key));
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerFiles& files) {
  if (files.cert_chain.empty() && files.private_key.empty()) {
    if (!files.client_ca.empty()) {
      return absl::InvalidArgumentError(
          "--tls_client_ca needs --tls_cert_chain and --tls_private_key");
    }
    return grpc::InsecureServerCredentials();
  }
  absl::StatusOr<std::pair<PemFile, PemFile>> pair =
      ReadKeyPair(files.cert_chain, files.private_key);
  if (!pair.ok()) return pair.status();
  grpc::SslServerCredentialsOptions options(
      files.client_ca.empty()
          ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
          : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  if (!files.client_ca.empty()) {
    absl::StatusOr<PemFile> ca =
        ReadCertificates("--tls_client_ca", files.client_ca);
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = ca->text;
  }
  options.pem_key_cert_pairs.push_back({pair->second.text, pair->first.text});
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>>
MakeChannelCredentials(const ClientFiles& files) {
  if (files.ca.empty() && files.cert_chain.empty() &&
      files.private_key.empty()) {
    return grpc::InsecureChannelCredentials();
  }
  grpc::SslCredentialsOptions options;
  if (!files.ca.empty()) {
    absl::StatusOr<PemFile> ca = ReadCertificates("--tls_ca", files.ca);
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = ca->text;
  }
  if (!files.cert_chain.empty() || !files.private_key.empty()) {
    absl::StatusOr<std::pair<PemFile, PemFile>> pair =
        ReadKeyPair(files.cert_chain, files.private_key);
    if (!pair.ok()) return pair.status();
    options.pem_cert_chain = pair->first.text;
    options.pem_private_key = pair->second.text;
  }
  return grpc::SslCredentials(options);
}

std::string ServerSecurity(const ServerFiles& files) {
  if (files.cert_chain.empty()) return "plaintext";
  return files.client_ca.empty() ? "tls" : "mutual_tls";
}

}  // namespace wersa::tls
