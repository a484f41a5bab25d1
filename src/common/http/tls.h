// A small certificate authority in memory: the embedded API server serves HTTPS on 127.0.0.1 with
// a certificate from it (kubectl's Go crypto/tls checks SANs strictly and trusts the CA from the
// kubeconfig), admission webhooks get serving certificates, and clients get client certificates
// whose subject (CN = user, O = groups) the server reads back as the caller's identity.
//
// Keys are EC P-256, signatures ECDSA with SHA-256; PEM in and out (certificates as
// "CERTIFICATE", keys as PKCS#8 "PRIVATE KEY"), so the strings go straight into kubeconfigs,
// ServerTls / ClientTls, or Kubernetes Secrets.
//
// Ownership: plain values. Thread-safety: the functions are reentrant.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <tl/expected.hpp>

namespace lambda::http {

struct CertificateAuthority {
  std::string cert_pem;
  std::string key_pem;
};

struct IssuedCertificate {
  std::string cert_pem;
  std::string key_pem;
};

struct CertificateRequest {
  std::string common_name;
  std::vector<std::string> organizations;  // one O= attribute each (Kubernetes groups)
  std::vector<std::string> dns_names;      // subjectAltName DNS entries, "*.example" allowed
  std::vector<std::string> ip_addresses;   // subjectAltName IP entries, v4 or v6 literals
  bool server_auth = true;                 // extendedKeyUsage serverAuth
  bool client_auth = false;                // extendedKeyUsage clientAuth
  std::chrono::hours validity{24 * 365};
};

// A self-signed CA certificate (basicConstraints CA:TRUE, critical) and its key. The
// certificate is valid from a minute ago, so that peers whose clocks lag slightly accept it.
tl::expected<CertificateAuthority, std::string> create_certificate_authority(
    std::string common_name, std::chrono::hours validity = std::chrono::hours(24 * 365 * 10));

// A leaf certificate signed by `ca` with a fresh key. Fails on a CA whose key does not match its
// certificate, an unparsable IP address, a DNS name with characters outside [A-Za-z0-9.*-], or a
// request without any usage.
tl::expected<IssuedCertificate, std::string> issue_certificate(const CertificateAuthority& ca,
                                                               const CertificateRequest& req);

}  // namespace lambda::http
