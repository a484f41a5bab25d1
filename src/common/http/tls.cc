#include "common/http/tls.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string_view>

namespace lambda::http {
namespace {

template <auto Free>
struct Deleter {
  template <class T>
  void operator()(T* p) const {
    Free(p);
  }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;
using NamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES_free>>;
using NamePtr = std::unique_ptr<GENERAL_NAME, Deleter<GENERAL_NAME_free>>;
using Ia5Ptr = std::unique_ptr<ASN1_IA5STRING, Deleter<ASN1_IA5STRING_free>>;
using OctetPtr = std::unique_ptr<ASN1_OCTET_STRING, Deleter<ASN1_OCTET_STRING_free>>;

// The most recent OpenSSL error, so that messages say why ("key values mismatch"), not just where.
std::string openssl_error(std::string_view what) {
  std::string message(what);
  unsigned long code = ERR_get_error();
  if (code != 0) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    message += ": ";
    message += buffer;
  }
  ERR_clear_error();
  return message;
}

PkeyPtr generate_key() { return PkeyPtr(EVP_EC_gen("P-256")); }

tl::expected<std::string, std::string> to_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return tl::unexpected(openssl_error("encode certificate"));
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

tl::expected<std::string, std::string> to_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return tl::unexpected(openssl_error("encode private key"));
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

BioPtr read_bio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Serial numbers must be unique per issuer and, per RFC 5280, positive and at most 20 octets:
// 127 random bits satisfy both.
bool set_random_serial(X509* cert) {
  BnPtr bn(BN_new());
  if (!bn || BN_rand(bn.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1) return false;
  if (BN_is_zero(bn.get())) BN_one(bn.get());
  return BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) != nullptr;
}

bool add_name_entry(X509_NAME* name, const char* field, const std::string& value) {
  return X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                    reinterpret_cast<const unsigned char*>(value.data()),
                                    static_cast<int>(value.size()), -1, 0) == 1;
}

// Extension values here are fixed strings, never caller input: the subjectAltName, which is, is
// built structurally in add_subject_alt_names so that a comma in a name cannot smuggle entries.
bool add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

bool valid_dns_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '*';
    if (!ok) return false;
  }
  return true;
}

tl::expected<void, std::string> add_subject_alt_names(X509* cert, const CertificateRequest& req) {
  if (req.dns_names.empty() && req.ip_addresses.empty()) return {};
  NamesPtr names(GENERAL_NAMES_new());
  if (!names) return tl::unexpected(openssl_error("subjectAltName"));
  for (const auto& dns : req.dns_names) {
    if (!valid_dns_name(dns)) return tl::unexpected("invalid DNS name \"" + dns + "\"");
    Ia5Ptr text(ASN1_IA5STRING_new());
    NamePtr name(GENERAL_NAME_new());
    if (!text || !name ||
        ASN1_STRING_set(text.get(), dns.data(), static_cast<int>(dns.size())) != 1)
      return tl::unexpected(openssl_error("subjectAltName"));
    GENERAL_NAME_set0_value(name.get(), GEN_DNS, text.release());
    if (sk_GENERAL_NAME_push(names.get(), name.get()) == 0)
      return tl::unexpected(openssl_error("subjectAltName"));
    name.release();
  }
  for (const auto& ip : req.ip_addresses) {
    OctetPtr octets(a2i_IPADDRESS(ip.c_str()));
    if (!octets || ip.find('/') != std::string::npos) {
      ERR_clear_error();
      return tl::unexpected("invalid IP address \"" + ip + "\"");
    }
    NamePtr name(GENERAL_NAME_new());
    if (!name) return tl::unexpected(openssl_error("subjectAltName"));
    GENERAL_NAME_set0_value(name.get(), GEN_IPADD, octets.release());
    if (sk_GENERAL_NAME_push(names.get(), name.get()) == 0)
      return tl::unexpected(openssl_error("subjectAltName"));
    name.release();
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1)
    return tl::unexpected(openssl_error("subjectAltName"));
  return {};
}

// Fields every certificate here shares: v3, random serial, validity from a minute ago.
tl::expected<X509Ptr, std::string> new_certificate(EVP_PKEY* key, std::chrono::hours validity) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      !set_random_serial(cert.get()) ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert.get()), 0,
                       static_cast<long>(validity.count()) * 3600, nullptr) == nullptr ||
      X509_set_pubkey(cert.get(), key) != 1) {
    return tl::unexpected(openssl_error("new certificate"));
  }
  return cert;
}

}  // namespace

tl::expected<CertificateAuthority, std::string> create_certificate_authority(
    std::string common_name, std::chrono::hours validity) {
  if (common_name.empty()) return tl::unexpected(std::string("CA common name is empty"));
  if (validity.count() <= 0) return tl::unexpected(std::string("CA validity must be positive"));
  PkeyPtr key = generate_key();
  if (!key) return tl::unexpected(openssl_error("generate CA key"));
  auto cert = new_certificate(key.get(), validity);
  if (!cert) return tl::unexpected(cert.error());
  X509* x = cert->get();
  X509_NAME* name = X509_get_subject_name(x);
  if (!add_name_entry(name, "CN", common_name))
    return tl::unexpected(openssl_error("CA common name"));
  if (X509_set_issuer_name(x, name) != 1) return tl::unexpected(openssl_error("CA issuer"));
  // The subject key identifier goes first: the authority key identifier of a self-signed
  // certificate is computed from it.
  if (!add_extension(x, x, NID_basic_constraints, "critical,CA:TRUE") ||
      !add_extension(x, x, NID_key_usage, "critical,digitalSignature,keyCertSign,cRLSign") ||
      !add_extension(x, x, NID_subject_key_identifier, "hash") ||
      !add_extension(x, x, NID_authority_key_identifier, "keyid:always")) {
    return tl::unexpected(openssl_error("CA extensions"));
  }
  if (X509_sign(x, key.get(), EVP_sha256()) == 0) return tl::unexpected(openssl_error("sign CA"));
  auto cert_pem = to_pem(x);
  if (!cert_pem) return tl::unexpected(cert_pem.error());
  auto key_pem = to_pem(key.get());
  if (!key_pem) return tl::unexpected(key_pem.error());
  return CertificateAuthority{std::move(*cert_pem), std::move(*key_pem)};
}

tl::expected<IssuedCertificate, std::string> issue_certificate(const CertificateAuthority& ca,
                                                               const CertificateRequest& req) {
  if (req.common_name.empty() && req.dns_names.empty() && req.ip_addresses.empty())
    return tl::unexpected(std::string("certificate request names no subject"));
  if (!req.server_auth && !req.client_auth)
    return tl::unexpected(std::string("certificate request asks for no usage"));
  if (req.validity.count() <= 0)
    return tl::unexpected(std::string("certificate validity must be positive"));

  BioPtr ca_cert_bio = read_bio(ca.cert_pem);
  X509Ptr ca_cert(ca_cert_bio ? PEM_read_bio_X509(ca_cert_bio.get(), nullptr, nullptr, nullptr)
                              : nullptr);
  if (!ca_cert) return tl::unexpected(openssl_error("CA certificate"));
  BioPtr ca_key_bio = read_bio(ca.key_pem);
  PkeyPtr ca_key(ca_key_bio ? PEM_read_bio_PrivateKey(ca_key_bio.get(), nullptr, nullptr, nullptr)
                            : nullptr);
  if (!ca_key) return tl::unexpected(openssl_error("CA private key"));
  if (X509_check_private_key(ca_cert.get(), ca_key.get()) != 1)
    return tl::unexpected(openssl_error("CA private key does not match the CA certificate"));

  PkeyPtr key = generate_key();
  if (!key) return tl::unexpected(openssl_error("generate key"));
  auto cert = new_certificate(key.get(), req.validity);
  if (!cert) return tl::unexpected(cert.error());
  X509* x = cert->get();
  X509_NAME* name = X509_get_subject_name(x);
  for (const auto& org : req.organizations) {
    if (!add_name_entry(name, "O", org))
      return tl::unexpected(openssl_error("organization \"" + org + "\""));
  }
  if (!req.common_name.empty() && !add_name_entry(name, "CN", req.common_name))
    return tl::unexpected(openssl_error("common name \"" + req.common_name + "\""));
  if (X509_set_issuer_name(x, X509_get_subject_name(ca_cert.get())) != 1)
    return tl::unexpected(openssl_error("issuer"));

  std::string usage;
  if (req.server_auth) usage = "serverAuth";
  if (req.client_auth) usage += usage.empty() ? "clientAuth" : ",clientAuth";
  if (!add_extension(x, ca_cert.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !add_extension(x, ca_cert.get(), NID_key_usage, "critical,digitalSignature") ||
      !add_extension(x, ca_cert.get(), NID_ext_key_usage, usage.c_str()) ||
      !add_extension(x, ca_cert.get(), NID_subject_key_identifier, "hash") ||
      !add_extension(x, ca_cert.get(), NID_authority_key_identifier, "keyid:always")) {
    return tl::unexpected(openssl_error("certificate extensions"));
  }
  if (auto sans = add_subject_alt_names(x, req); !sans) return tl::unexpected(sans.error());
  if (X509_sign(x, ca_key.get(), EVP_sha256()) == 0)
    return tl::unexpected(openssl_error("sign certificate"));

  auto cert_pem = to_pem(x);
  if (!cert_pem) return tl::unexpected(cert_pem.error());
  auto key_pem = to_pem(key.get());
  if (!key_pem) return tl::unexpected(key_pem.error());
  return IssuedCertificate{std::move(*cert_pem), std::move(*key_pem)};
}

}  // namespace lambda::http
