#include "common/http/tls.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace lambda::http {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

X509Ptr parse(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509Ptr cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return cert;
}

// X509_verify_cert of `leaf` against `ca` alone, for the given purpose.
bool verifies(const std::string& leaf_pem, const std::string& ca_pem, int purpose) {
  X509Ptr leaf = parse(leaf_pem), ca = parse(ca_pem);
  if (!leaf || !ca) return false;
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca.get());
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf.get(), nullptr);
  X509_STORE_CTX_set_purpose(ctx, purpose);
  bool ok = X509_verify_cert(ctx) == 1;
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return ok;
}

std::vector<std::string> subject_entries(X509* cert, int nid) {
  std::vector<std::string> out;
  X509_NAME* name = X509_get_subject_name(cert);
  for (int i = -1; (i = X509_NAME_get_index_by_NID(name, nid, i)) >= 0;) {
    ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
    out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                     static_cast<std::size_t>(ASN1_STRING_length(data)));
  }
  return out;
}

bool extension_is_critical(X509* cert, int nid) {
  int index = X509_get_ext_by_NID(cert, nid, -1);
  return index >= 0 && X509_EXTENSION_get_critical(X509_get_ext(cert, index)) == 1;
}

CertificateRequest server_request() {
  CertificateRequest req;
  req.common_name = "api";
  req.dns_names = {"localhost", "kubernetes.default.svc"};
  req.ip_addresses = {"127.0.0.1", "::1"};
  return req;
}

TEST(CertificateAuthority, IsSelfSignedWithCriticalCaBasicConstraints) {
  auto ca = create_certificate_authority("lambda-ca", std::chrono::hours(24));
  ASSERT_TRUE(ca) << ca.error();
  X509Ptr cert = parse(ca->cert_pem);
  ASSERT_TRUE(cert);
  EXPECT_EQ(X509_check_ca(cert.get()), 1);
  EXPECT_TRUE(extension_is_critical(cert.get(), NID_basic_constraints));
  EXPECT_TRUE(extension_is_critical(cert.get(), NID_key_usage));
  EXPECT_TRUE(X509_get_key_usage(cert.get()) & KU_KEY_CERT_SIGN);
  EXPECT_NE(X509_get0_subject_key_id(cert.get()), nullptr);
  EXPECT_EQ(X509_verify(cert.get(), X509_get0_pubkey(cert.get())), 1);
  EXPECT_EQ(subject_entries(cert.get(), NID_commonName), std::vector<std::string>{"lambda-ca"});
  EXPECT_NE(ca->key_pem.find("BEGIN PRIVATE KEY"), std::string::npos);
}

TEST(CertificateAuthority, UsesP256KeysAndSha256Signatures) {
  auto ca = create_certificate_authority("ca", std::chrono::hours(1)).value();
  X509Ptr cert = parse(ca.cert_pem);
  EVP_PKEY* key = X509_get0_pubkey(cert.get());
  EXPECT_EQ(EVP_PKEY_get_base_id(key), EVP_PKEY_EC);
  EXPECT_EQ(EVP_PKEY_get_bits(key), 256);
  char group[64] = {};
  ASSERT_EQ(EVP_PKEY_get_group_name(key, group, sizeof group, nullptr), 1);
  EXPECT_STREQ(group, "prime256v1");
  EXPECT_EQ(X509_get_signature_nid(cert.get()), NID_ecdsa_with_SHA256);
}

TEST(CertificateAuthority, RejectsEmptyCommonNameAndNonPositiveValidity) {
  EXPECT_FALSE(create_certificate_authority("", std::chrono::hours(1)));
  EXPECT_FALSE(create_certificate_authority("ca", std::chrono::hours(0)));
}

TEST(IssueCertificate, ServerCertificateVerifiesAgainstItsCa) {
  auto ca = create_certificate_authority("ca", std::chrono::hours(24)).value();
  auto issued = issue_certificate(ca, server_request());
  ASSERT_TRUE(issued) << issued.error();
  EXPECT_TRUE(verifies(issued->cert_pem, ca.cert_pem, X509_PURPOSE_SSL_SERVER));
  X509Ptr cert = parse(issued->cert_pem);
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  EXPECT_NE(X509_get0_authority_key_id(cert.get()), nullptr);
  EXPECT_EQ(X509_get_signature_nid(cert.get()), NID_ecdsa_with_SHA256);
}

TEST(IssueCertificate, DoesNotVerifyAgainstAnotherCa) {
  auto ca = create_certificate_authority("ca", std::chrono::hours(24)).value();
  auto other = create_certificate_authority("ca", std::chrono::hours(24)).value();
  auto issued = issue_certificate(ca, server_request()).value();
  EXPECT_FALSE(verifies(issued.cert_pem, other.cert_pem, X509_PURPOSE_SSL_SERVER));
}

TEST(IssueCertificate, SubjectAltNamesCarryEveryDnsNameAndIpAddress) {
  auto ca = create_certificate_authority("ca", std::chrono::hours(24)).value();
  X509Ptr cert = parse(issue_certificate(ca, server_request()).value().cert_pem);
  EXPECT_EQ(X509_check_host(cert.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(cert.get(), "kubernetes.default.svc", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "::1", 0), 1);
  EXPECT_NE(X509_check_host(cert.get(), "example.com", 0, 0, nullptr), 1);
  EXPECT_NE(X509_check_ip_asc(cert.get(), "10.0.0.1", 0), 1);
}

TEST(IssueCertificate, ClientAuthUsageIsPresentOnlyWhenAsked) {
  auto ca = create_certificate_authority("ca", std::chrono::hours(24)).value();
  CertificateRequest client;
  client.common_name = "alice";
  client.server_auth = false;
  client.client_auth = true;
  auto client_cert = issue_certificate(ca, client).value();
  X509Ptr cert = parse(client_cert.cert_pem);
  EXPECT_TRUE(X509_get_extended_key_usage(cert.get()) & XKU_SSL_CLIENT);
  EXPECT_FALSE(X509_get_extended_key_usage(cert.get()) & XKU_SSL_SERVER);
  EXPECT_TRUE(verifies(client_cert.cert_pem, ca.cert_pem, X509_PURPOSE_SSL_CLIENT));

  auto server_cert = issue_certificate(ca, server_request()).value();
  X509Ptr server = parse(server_cert.cert_pem);
  EXPECT_FALSE(X509_get_extended_key_usage(server.get()) & XKU_SSL_CLIENT);
  EXPECT_FALSE(verifies(server_cert.cert_pem, ca.cert_pem, X509_PURPOSE_SSL_CLIENT));
}

TEST(IssueCertificate, SubjectCarriesCommonNameAndEveryOrganization) {
  auto ca = create_certificate_authority("ca", std::chrono::hours(24)).value();
  CertificateRequest req;
  req.common_name = "admin";
  req.organizations = {"system:masters", "team-a"};
  req.client_auth = true;
  X509Ptr cert = parse(issue_certificate(ca, req).value().cert_pem);
  EXPECT_EQ(subject_entries(cert.get(), NID_commonName), std::vector<std::string>{"admin"});
  EXPECT_EQ(subject_entries(cert.get(), NID_organizationName),
            (std::vector<std::string>{"system:masters", "team-a"}));
}

TEST(IssueCertificate, NotBeforeLiesAboutAMinuteInThePast) {
  auto ca = create_certificate_authority("ca", std::chrono::hours(24)).value();
  X509Ptr cert = parse(issue_certificate(ca, server_request()).value().cert_pem);
  int days = 0, seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(cert.get()), nullptr), 1);
  EXPECT_EQ(days, 0);
  EXPECT_GE(seconds, 55);
  EXPECT_LE(seconds, 120);
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(cert.get())), 1);
  EXPECT_GE(days, 364);
}

TEST(IssueCertificate, SerialNumbersArePositiveAndDiffer) {
  auto ca = create_certificate_authority("ca", std::chrono::hours(24)).value();
  X509Ptr a = parse(issue_certificate(ca, server_request()).value().cert_pem);
  X509Ptr b = parse(issue_certificate(ca, server_request()).value().cert_pem);
  const ASN1_INTEGER* sa = X509_get0_serialNumber(a.get());
  const ASN1_INTEGER* sb = X509_get0_serialNumber(b.get());
  EXPECT_NE(ASN1_INTEGER_cmp(sa, sb), 0);
  EXPECT_EQ(ASN1_STRING_type(sa), V_ASN1_INTEGER);  // V_ASN1_NEG_INTEGER when negative
  EXPECT_GT(ASN1_STRING_length(sa), 8);
}

TEST(IssueCertificate, RejectsMalformedNamesWithAMessage) {
  auto ca = create_certificate_authority("ca", std::chrono::hours(24)).value();
  CertificateRequest bad_ip = server_request();
  bad_ip.ip_addresses = {"300.1.1.1"};
  auto a = issue_certificate(ca, bad_ip);
  ASSERT_FALSE(a);
  EXPECT_NE(a.error().find("300.1.1.1"), std::string::npos);

  CertificateRequest smuggled = server_request();
  smuggled.dns_names = {"ok.example,DNS:evil.example"};
  auto b = issue_certificate(ca, smuggled);
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().find("DNS name"), std::string::npos);

  CertificateRequest no_usage = server_request();
  no_usage.server_auth = false;
  EXPECT_FALSE(issue_certificate(ca, no_usage));
}

TEST(IssueCertificate, RejectsCaWhoseKeyDoesNotMatchOrDoesNotParse) {
  auto ca = create_certificate_authority("ca", std::chrono::hours(24)).value();
  auto other = create_certificate_authority("other", std::chrono::hours(24)).value();
  CertificateAuthority mismatched{ca.cert_pem, other.key_pem};
  auto a = issue_certificate(mismatched, server_request());
  ASSERT_FALSE(a);
  EXPECT_NE(a.error().find("does not match"), std::string::npos);
  EXPECT_FALSE(issue_certificate(CertificateAuthority{"garbage", ca.key_pem}, server_request()));
  EXPECT_FALSE(issue_certificate(CertificateAuthority{ca.cert_pem, ""}, server_request()));
}

}  // namespace
}  // namespace lambda::http
