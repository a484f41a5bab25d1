// Helpers for the tests of common/http (test-only; no library code includes this): TLS material
// for loopback servers, and a raw blocking TCP connection for sending bytes no well-behaved
// client would send and for reading exactly what the server put on the wire.
//
// Thread-safety: a RawConnection belongs to one thread.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "common/http/tls.h"

namespace lambda::http::testing {

struct TlsMaterial {
  CertificateAuthority ca;
  IssuedCertificate server;  // for 127.0.0.1, ::1 and localhost
};

inline TlsMaterial make_tls_material(std::string ca_name = "test-ca") {
  TlsMaterial m;
  m.ca = create_certificate_authority(std::move(ca_name), std::chrono::hours(24)).value();
  CertificateRequest req;
  req.common_name = "test-server";
  req.dns_names = {"localhost"};
  req.ip_addresses = {"127.0.0.1", "::1"};
  m.server = issue_certificate(m.ca, req).value();
  return m;
}

// A blocking loopback TCP connection with deadlines on every read.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port, int receive_buffer = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (receive_buffer > 0)
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }

  bool send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Reads until `marker` has been received (everything read is returned, also past the marker),
  // the peer closes, or the deadline passes.
  std::string read_until(std::string_view marker,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (buffer_.find(marker) == std::string::npos && !eof_) {
      if (!read_some(deadline)) break;
    }
    std::string out;
    out.swap(buffer_);
    return out;
  }

  // Reads until the peer closes the connection; false if it did not within `timeout`.
  bool wait_closed(std::chrono::milliseconds timeout, std::string* data = nullptr) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!eof_) {
      if (!read_some(deadline)) break;
    }
    if (data) data->swap(buffer_);
    return eof_;
  }

 private:
  bool read_some(std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[16384];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string buffer_;
};

// A file that is removed when the test ends (for tools that read PEM from disk).
class TempFile {
 public:
  explicit TempFile(const std::string& contents) {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("lambda_http_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::ofstream(path_) << contents;
  }
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

inline bool have_program(const char* name) {
  return std::system(("command -v " + std::string(name) + " >/dev/null 2>&1").c_str()) == 0;
}

// Runs a shell command and returns what it printed (stdout and stderr).
inline std::string run_command(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return out;
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  ::pclose(pipe);
  return out;
}

}  // namespace lambda::http::testing
