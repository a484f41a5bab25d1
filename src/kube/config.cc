#include "kube/config.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <set>
#include <system_error>
#include <utility>
#include <vector>

#include "common/base64.h"
#include "common/json_yaml.h"

namespace lambda::kube {
using common::base64_decode;
using common::base64_encode;

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

// Bounds on what we read, so that a kubeconfig pointing at /dev/zero cannot exhaust memory. CA
// bundles are the largest legitimate referenced files (a few hundred KiB).
constexpr std::size_t kMaxKubeconfigBytes = 16u << 20;
constexpr std::size_t kMaxReferencedFileBytes = 4u << 20;
constexpr std::size_t kMaxTokenBytes = 1u << 20;

std::string errno_text(int error) {
  return std::error_code(error, std::generic_category()).message();
}

struct ReadFailure {
  int error = 0;  // errno, or 0 for a problem that is not a system error
  std::string message;
};

tl::expected<std::string, ReadFailure> read_file(const std::string& path, std::size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int error = errno;
    return tl::unexpected(ReadFailure{error, errno_text(error)});
  }
  struct stat info {};
  if (::fstat(fd, &info) == 0 && S_ISDIR(info.st_mode)) {
    ::close(fd);
    return tl::unexpected(ReadFailure{EISDIR, errno_text(EISDIR)});
  }
  std::string content;
  std::array<char, 16384> buffer{};
  while (true) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      int error = errno;
      ::close(fd);
      return tl::unexpected(ReadFailure{error, errno_text(error)});
    }
    if (n == 0) break;
    if (content.size() + static_cast<std::size_t>(n) > max_bytes) {
      ::close(fd);
      return tl::unexpected(ReadFailure{0, fmt::format("larger than {} bytes", max_bytes)});
    }
    content.append(buffer.data(), static_cast<std::size_t>(n));
  }
  ::close(fd);
  return content;
}

std::string trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  auto begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  auto end = text.find_last_not_of(kSpace);
  return std::string(text.substr(begin, end - begin + 1));
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out.append(separator);
    out.append(p);
  }
  return out;
}

Getenv or_process(const Getenv& getenv) { return getenv ? getenv : Getenv(process_getenv); }

// A set, non-empty environment variable; Go's os.Getenv makes no difference between unset and
// empty, and neither do client-go's callers.
std::string env(const Getenv& getenv, std::string_view name) {
  auto value = getenv(name);
  return value ? *value : std::string();
}

// ---------------------------------------------------------------------------------------------
// One kubeconfig file, as typed entries. Each entry remembers its file and list index so that a
// later error can point at it.

struct ClusterEntry {
  std::string file;
  std::string path;  // "clusters[0].cluster"
  std::string server;
  std::string ca_file;
  std::string ca_data;
  bool insecure = false;
  std::string tls_server_name;
  bool has_proxy_url = false;
};

struct UserEntry {
  std::string file;
  std::string path;  // "users[0].user"
  std::string client_cert_file, client_cert_data;
  std::string client_key_file, client_key_data;
  std::string token, token_file;
  std::string username, password;
  bool has_exec = false;
  bool has_auth_provider = false;
  std::string impersonation_field;  // the first of as, as-uid, as-groups, as-user-extra set
};

struct ContextEntry {
  std::string file;
  std::string path;  // "contexts[0].context"
  std::string cluster, user, namespace_name;
};

struct KubeconfigFile {
  std::vector<std::pair<std::string, ClusterEntry>> clusters;
  std::vector<std::pair<std::string, UserEntry>> users;
  std::vector<std::pair<std::string, ContextEntry>> contexts;
  std::string current_context;
};

std::string_view kind_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "a number";
    case json::kind::string:
      return "a string";
    case json::kind::array:
      return "a list";
    case json::kind::object:
      return "a mapping";
  }
  return "a value";
}

// Reads typed fields and keeps the first error, formatted "file: path: message". Values are never
// quoted in errors, since the fields may hold secrets.
class FieldReader {
 public:
  explicit FieldReader(std::string file) : file_(std::move(file)) {}

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }

  void fail(std::string_view path, std::string_view message) {
    if (error_.empty()) {
      error_ = path.empty() ? fmt::format("{}: {}", file_, message)
                            : fmt::format("{}: {}: {}", file_, path, message);
    }
  }

  // A null or absent field is the zero value, as in Go.
  const json::value* field(const json::object& object, std::string_view key) {
    const json::value* v = object.if_contains(key);
    return v && !v->is_null() ? v : nullptr;
  }

  std::string string(const json::object& object, std::string_view key, std::string_view path) {
    const json::value* v = field(object, key);
    if (!v) return {};
    if (!v->is_string()) {
      fail(member(path, key), fmt::format("must be a string, not {}", kind_name(*v)));
      return {};
    }
    return std::string(v->get_string());
  }

  bool boolean(const json::object& object, std::string_view key, std::string_view path) {
    const json::value* v = field(object, key);
    if (!v) return false;
    if (!v->is_bool()) {
      fail(member(path, key), fmt::format("must be a boolean, not {}", kind_name(*v)));
      return false;
    }
    return v->get_bool();
  }

  std::string bytes(const json::object& object, std::string_view key, std::string_view path) {
    std::string text = string(object, key, path);
    if (text.empty()) return {};
    auto decoded = base64_decode(text);
    if (!decoded) {
      fail(member(path, key), decoded.error());
      return {};
    }
    return *decoded;
  }

  // An object-valued member; null when absent. Anything else is an error.
  const json::object* object(const json::object& parent, std::string_view key,
                             std::string_view path) {
    const json::value* v = field(parent, key);
    if (!v) return nullptr;
    if (!v->is_object()) {
      fail(member(path, key), fmt::format("must be a mapping, not {}", kind_name(*v)));
      return nullptr;
    }
    return &v->get_object();
  }

  const json::array* array(const json::object& parent, std::string_view key) {
    const json::value* v = field(parent, key);
    if (!v) return nullptr;
    if (!v->is_array()) {
      fail(key, fmt::format("must be a list, not {}", kind_name(*v)));
      return nullptr;
    }
    return &v->get_array();
  }

  static std::string member(std::string_view path, std::string_view key) {
    return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
  }

 private:
  std::string file_;
  std::string error_;
};

// Walks one named list (clusters, users, contexts): each item {name, <body>}; calls read(name,
// body path, body) for each, and rejects a name used twice, as client-go's conversion does.
template <typename Read>
void read_named_list(FieldReader& reader, const json::object& root, std::string_view list_key,
                     std::string_view body_key, Read&& read) {
  const json::array* list = reader.array(root, list_key);
  if (!list) return;
  std::set<std::string> names;
  for (std::size_t i = 0; i < list->size() && !reader.failed(); ++i) {
    std::string item_path = fmt::format("{}[{}]", list_key, i);
    const json::value& item = (*list)[i];
    if (!item.is_object()) {
      reader.fail(item_path, fmt::format("must be a mapping, not {}", kind_name(item)));
      return;
    }
    std::string name = reader.string(item.get_object(), "name", item_path);
    if (!names.insert(name).second) {
      reader.fail(item_path + ".name", fmt::format("Duplicate value: \"{}\"", name));
      return;
    }
    std::string body_path = fmt::format("{}.{}", item_path, body_key);
    static const json::object kEmpty;
    const json::object* body = reader.object(item.get_object(), body_key, item_path);
    read(std::move(name), body_path, body ? *body : kEmpty);
  }
}

tl::expected<KubeconfigFile, std::string> parse_kubeconfig(const std::string& file,
                                                           std::string_view text) {
  KubeconfigFile out;
  auto parsed = common::parse_yaml(text);
  if (!parsed) return tl::unexpected(fmt::format("{}: {}", file, parsed.error().to_string()));
  if (parsed->is_null()) return out;  // an empty file is an empty config, as in clientcmd.Load
  FieldReader reader(file);
  if (!parsed->is_object()) {
    return tl::unexpected(
        fmt::format("{}: must be a kubeconfig mapping, not {}", file, kind_name(*parsed)));
  }
  const json::object& root = parsed->get_object();

  std::string kind = reader.string(root, "kind", "");
  if (!kind.empty() && kind != "Config") {
    reader.fail("kind",
                fmt::format("Unsupported value: \"{}\": supported values: \"Config\"", kind));
  }
  std::string api_version = reader.string(root, "apiVersion", "");
  if (!api_version.empty() && api_version != "v1") {
    reader.fail("apiVersion",
                fmt::format("Unsupported value: \"{}\": supported values: \"v1\"", api_version));
  }
  out.current_context = reader.string(root, "current-context", "");

  read_named_list(reader, root, "clusters", "cluster",
                  [&](std::string name, const std::string& path, const json::object& body) {
                    ClusterEntry c;
                    c.file = file;
                    c.path = path;
                    c.server = reader.string(body, "server", path);
                    c.ca_file = reader.string(body, "certificate-authority", path);
                    c.ca_data = reader.bytes(body, "certificate-authority-data", path);
                    c.insecure = reader.boolean(body, "insecure-skip-tls-verify", path);
                    c.tls_server_name = reader.string(body, "tls-server-name", path);
                    c.has_proxy_url = !reader.string(body, "proxy-url", path).empty();
                    reader.boolean(body, "disable-compression", path);
                    out.clusters.emplace_back(std::move(name), std::move(c));
                  });
  read_named_list(reader, root, "users", "user",
                  [&](std::string name, const std::string& path, const json::object& body) {
                    UserEntry u;
                    u.file = file;
                    u.path = path;
                    u.client_cert_file = reader.string(body, "client-certificate", path);
                    u.client_cert_data = reader.bytes(body, "client-certificate-data", path);
                    u.client_key_file = reader.string(body, "client-key", path);
                    u.client_key_data = reader.bytes(body, "client-key-data", path);
                    u.token = reader.string(body, "token", path);
                    u.token_file = reader.string(body, "tokenFile", path);
                    u.username = reader.string(body, "username", path);
                    u.password = reader.string(body, "password", path);
                    u.has_exec = reader.object(body, "exec", path) != nullptr;
                    u.has_auth_provider = reader.object(body, "auth-provider", path) != nullptr;
                    for (std::string_view key : {"as", "as-uid", "as-groups", "as-user-extra"}) {
                      const json::value* v = reader.field(body, key);
                      bool empty = !v || (v->is_string() && v->get_string().empty()) ||
                                   (v->is_array() && v->get_array().empty()) ||
                                   (v->is_object() && v->get_object().empty());
                      if (!empty && u.impersonation_field.empty()) {
                        u.impersonation_field = std::string(key);
                      }
                    }
                    out.users.emplace_back(std::move(name), std::move(u));
                  });
  read_named_list(reader, root, "contexts", "context",
                  [&](std::string name, const std::string& path, const json::object& body) {
                    ContextEntry c;
                    c.file = file;
                    c.path = path;
                    c.cluster = reader.string(body, "cluster", path);
                    c.user = reader.string(body, "user", path);
                    c.namespace_name = reader.string(body, "namespace", path);
                    out.contexts.emplace_back(std::move(name), std::move(c));
                  });
  if (reader.failed()) return tl::unexpected(reader.error());
  return out;
}

// ---------------------------------------------------------------------------------------------
// Resolving the chosen context.

// filepath.Join(filepath.Abs(filepath.Dir(file)), reference) for a relative reference.
std::string resolve_path(const std::string& file, const std::string& reference) {
  if (reference.empty()) return {};
  fs::path ref(reference);
  if (ref.is_absolute()) return ref.lexically_normal().string();
  std::error_code ec;
  fs::path dir = fs::path(file).parent_path();
  if (dir.empty()) dir = fs::current_path(ec);
  fs::path base = fs::absolute(dir, ec);
  if (ec) base = dir;
  return (base / ref).lexically_normal().string();
}

bool is_dns1123_label(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(s.front()) || !alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) { return alnum(c) || c == '-'; });
}

bool looks_like_certificate(std::string_view pem) {
  return pem.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos;
}

bool looks_like_private_key(std::string_view pem) {
  auto begin = pem.find("-----BEGIN ");
  return begin != std::string_view::npos &&
         pem.find("PRIVATE KEY-----", begin) != std::string_view::npos;
}

// Scheme defaulting as rest.DefaultServerURL, then a check that it is an http(s) URL with a
// host; query and fragment dropped, no trailing slash.
tl::expected<std::string, std::string> normalize_server(std::string server, bool has_tls) {
  if (server.find("://") == std::string::npos) {
    server = (has_tls ? "https://" : "http://") + server;
  }
  auto parsed = boost::urls::parse_uri(server);
  if (!parsed) return tl::unexpected(std::string("must be a URL such as https://host:6443"));
  boost::urls::url url(*parsed);
  std::string scheme(url.scheme());
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "https" && scheme != "http") {
    return tl::unexpected(std::string("must be an http or https URL"));
  }
  if (url.host().empty()) return tl::unexpected(std::string("must name a host"));
  if (url.has_userinfo()) {
    return tl::unexpected(std::string("must not carry credentials; put them in the user"));
  }
  url.set_scheme(scheme);
  url.remove_query();
  url.remove_fragment();
  std::string out(url.buffer());
  while (out.size() > scheme.size() + 3 && out.back() == '/') out.pop_back();
  return out;
}

std::string location(const std::string& file, const std::string& path, std::string_view field) {
  return field.empty() ? fmt::format("{}: {}", file, path)
                       : fmt::format("{}: {}.{}", file, path, field);
}

// Reads a file a kubeconfig refers to; the error names the kubeconfig, the field and the file.
tl::expected<std::string, std::string> read_reference(const std::string& file,
                                                      const std::string& path,
                                                      std::string_view field,
                                                      const std::string& referenced) {
  auto content = read_file(referenced, kMaxReferencedFileBytes);
  if (!content) {
    return tl::unexpected(fmt::format("{}: cannot read {}: {}", location(file, path, field),
                                      referenced, content.error().message));
  }
  return *content;
}

tl::expected<void, std::string> apply_cluster(const ClusterEntry& c, ClusterConnection& out) {
  if (c.has_proxy_url) {
    return tl::unexpected(
        fmt::format("{}: proxy-url is not supported", location(c.file, c.path, {})));
  }
  if (c.server.empty()) {
    return tl::unexpected(fmt::format("{}: Required value", location(c.file, c.path, "server")));
  }
  if (!c.ca_file.empty() && !c.ca_data.empty()) {
    return tl::unexpected(
        fmt::format("{}: certificate-authority-data and certificate-authority are both specified",
                    location(c.file, c.path, {})));
  }
  std::string ca_pem = c.ca_data;
  std::string_view ca_field = "certificate-authority-data";
  if (!c.ca_file.empty()) {
    ca_field = "certificate-authority";
    auto content = read_reference(c.file, c.path, ca_field, resolve_path(c.file, c.ca_file));
    if (!content) return tl::unexpected(content.error());
    ca_pem = std::move(*content);
  }
  if (!ca_pem.empty() && !looks_like_certificate(ca_pem)) {
    return tl::unexpected(
        fmt::format("{}: does not contain a PEM certificate", location(c.file, c.path, ca_field)));
  }
  if (!ca_pem.empty() && c.insecure) {
    // client-go's transport refuses the combination when it builds the client; say so now.
    return tl::unexpected(
        fmt::format("{}: specifying a root certificates file with the insecure flag is not allowed",
                    location(c.file, c.path, {})));
  }
  bool has_tls = !ca_pem.empty() || c.insecure;
  auto server = normalize_server(c.server, has_tls);
  if (!server) {
    return tl::unexpected(
        fmt::format("{}: {}", location(c.file, c.path, "server"), server.error()));
  }
  out.server = std::move(*server);
  out.ca_pem = std::move(ca_pem);
  out.insecure_skip_tls_verify = c.insecure;
  out.tls_server_name = c.tls_server_name;
  return {};
}

tl::expected<void, std::string> apply_user(const std::string& name, const UserEntry& u,
                                           ClusterConnection& out) {
  auto here = [&](std::string_view field) { return location(u.file, u.path, field); };
  if (u.has_exec) {
    return tl::unexpected(fmt::format(
        "{}: user \"{}\" authenticates with an exec credential plugin, which is not supported; "
        "give the user a token, tokenFile or client certificate",
        here("exec"), name));
  }
  if (u.has_auth_provider) {
    return tl::unexpected(fmt::format(
        "{}: user \"{}\" authenticates with an auth-provider plugin, which is not supported; "
        "give the user a token, tokenFile or client certificate",
        here("auth-provider"), name));
  }
  if (!u.impersonation_field.empty()) {
    return tl::unexpected(
        fmt::format("{}: user \"{}\" impersonates another user, which is not "
                    "supported",
                    here(u.impersonation_field), name));
  }
  if (!u.token.empty() && (!u.username.empty() || !u.password.empty())) {
    return tl::unexpected(
        fmt::format("{}: more than one authentication method found for \"{}\"; found [token "
                    "basicAuth], only one is allowed",
                    here({}), name));
  }
  if (!u.client_cert_file.empty() || !u.client_cert_data.empty()) {
    if (!u.client_cert_file.empty() && !u.client_cert_data.empty()) {
      return tl::unexpected(fmt::format(
          "{}: client-certificate-data and client-certificate are both specified", here({})));
    }
    if (!u.client_key_file.empty() && !u.client_key_data.empty()) {
      return tl::unexpected(
          fmt::format("{}: client-key-data and client-key are both specified", here({})));
    }
    if (u.client_key_file.empty() && u.client_key_data.empty()) {
      return tl::unexpected(fmt::format(
          "{}: client-key-data or client-key must be specified for \"{}\" to use the clientCert "
          "authentication method",
          here({}), name));
    }
    std::string cert = u.client_cert_data;
    std::string_view cert_field = "client-certificate-data";
    if (!u.client_cert_file.empty()) {
      cert_field = "client-certificate";
      auto content =
          read_reference(u.file, u.path, cert_field, resolve_path(u.file, u.client_cert_file));
      if (!content) return tl::unexpected(content.error());
      cert = std::move(*content);
    }
    if (!looks_like_certificate(cert)) {
      return tl::unexpected(
          fmt::format("{}: does not contain a PEM certificate", here(cert_field)));
    }
    std::string key = u.client_key_data;
    std::string_view key_field = "client-key-data";
    if (!u.client_key_file.empty()) {
      key_field = "client-key";
      auto content =
          read_reference(u.file, u.path, key_field, resolve_path(u.file, u.client_key_file));
      if (!content) return tl::unexpected(content.error());
      key = std::move(*content);
    }
    if (!looks_like_private_key(key)) {
      return tl::unexpected(fmt::format("{}: does not contain a PEM private key", here(key_field)));
    }
    out.client_cert_pem = std::move(cert);
    out.client_key_pem = std::move(key);
  }
  out.bearer_token = u.token;
  if (!u.token_file.empty()) {
    out.bearer_token_file = resolve_path(u.file, u.token_file);
    if (u.token.empty()) {
      // As clientcmd: without a static token the file must be readable now.
      auto content = read_file(out.bearer_token_file, kMaxTokenBytes);
      if (!content) {
        return tl::unexpected(fmt::format("{}: cannot read {}: {}", here("tokenFile"),
                                          out.bearer_token_file, content.error().message));
      }
      out.bearer_token = trim(*content);
      if (out.bearer_token.empty()) {
        return tl::unexpected(
            fmt::format("{}: {} is empty", here("tokenFile"), out.bearer_token_file));
      }
    }
  }
  out.username = u.username;
  out.password = u.password;
  return {};
}

bool is_plain_http(std::string_view server) { return server.rfind("http://", 0) == 0; }

}  // namespace

std::optional<std::string> process_getenv(std::string_view name) {
  const char* value = std::getenv(std::string(name).c_str());
  if (!value) return std::nullopt;
  return std::string(value);
}

tl::expected<ClusterConnection, std::string> load_kubeconfig(const KubeconfigOptions& options) {
  Getenv getenv = or_process(options.getenv);
  std::vector<std::string> candidates;
  bool explicit_file = !options.explicit_path.empty();
  std::string origin;  // how the candidate list came about, for "nothing found"
  if (explicit_file) {
    candidates.push_back(options.explicit_path);
  } else if (std::string list = env(getenv, "KUBECONFIG"); !list.empty()) {
    origin = "KUBECONFIG";
    std::set<std::string> seen;
    std::size_t start = 0;
    while (start <= list.size()) {
      std::size_t end = list.find(':', start);
      if (end == std::string::npos) end = list.size();
      std::string entry = list.substr(start, end - start);
      if (!entry.empty() && seen.insert(entry).second) candidates.push_back(entry);
      start = end + 1;
    }
  } else {
    std::string home = env(getenv, "HOME");
    if (home.empty()) {
      return tl::unexpected(std::string("no kubeconfig found: neither KUBECONFIG nor HOME is set"));
    }
    origin = "HOME";
    candidates.push_back((fs::path(home) / ".kube" / "config").string());
  }

  std::vector<std::string> loaded;
  std::vector<KubeconfigFile> files;
  for (const auto& candidate : candidates) {
    auto text = read_file(candidate, kMaxKubeconfigBytes);
    if (!text) {
      if (!explicit_file && text.error().error == ENOENT) continue;  // clientcmd skips these
      return tl::unexpected(
          fmt::format("cannot read kubeconfig {}: {}", candidate, text.error().message));
    }
    auto parsed = parse_kubeconfig(candidate, *text);
    if (!parsed) return tl::unexpected(parsed.error());
    loaded.push_back(candidate);
    files.push_back(std::move(*parsed));
  }
  if (files.empty()) {
    if (origin == "KUBECONFIG") {
      return tl::unexpected(fmt::format(
          "no kubeconfig found: none of the KUBECONFIG files exists ({})", join(candidates, ", ")));
    }
    return tl::unexpected(fmt::format("no kubeconfig found: {} does not exist", candidates[0]));
  }

  // First definition of a name wins; current-context from the first file that sets one.
  std::map<std::string, const ClusterEntry*> clusters;
  std::map<std::string, const UserEntry*> users;
  std::map<std::string, const ContextEntry*> contexts;
  std::string current_context;
  for (const auto& f : files) {
    for (const auto& [name, entry] : f.clusters) clusters.try_emplace(name, &entry);
    for (const auto& [name, entry] : f.users) users.try_emplace(name, &entry);
    for (const auto& [name, entry] : f.contexts) contexts.try_emplace(name, &entry);
    if (current_context.empty()) current_context = f.current_context;
  }
  std::string file_list = join(loaded, ", ");

  std::string context_name = options.context.empty() ? current_context : options.context;
  if (context_name.empty()) {
    return tl::unexpected(fmt::format(
        "no context chosen: current-context is not set in kubeconfig (files: {}) and no context "
        "was given",
        file_list));
  }
  auto context_it = contexts.find(context_name);
  if (context_it == contexts.end()) {
    return tl::unexpected(
        fmt::format("context \"{}\" not found in kubeconfig (files: {})", context_name, file_list));
  }
  const ContextEntry& context = *context_it->second;

  ClusterConnection out;
  out.context_name = context_name;
  out.source = "kubeconfig " + join(loaded, ":");

  if (context.cluster.empty()) {
    return tl::unexpected(
        fmt::format("{}: Required value", location(context.file, context.path, "cluster")));
  }
  auto cluster_it = clusters.find(context.cluster);
  if (cluster_it == clusters.end()) {
    return tl::unexpected(fmt::format("{}: cluster \"{}\" not found in kubeconfig (files: {})",
                                      location(context.file, context.path, "cluster"),
                                      context.cluster, file_list));
  }
  if (auto applied = apply_cluster(*cluster_it->second, out); !applied) {
    return tl::unexpected(applied.error());
  }

  if (!context.user.empty()) {
    auto user_it = users.find(context.user);
    if (user_it == users.end()) {
      return tl::unexpected(fmt::format("{}: user \"{}\" not found in kubeconfig (files: {})",
                                        location(context.file, context.path, "user"), context.user,
                                        file_list));
    }
    if (auto applied = apply_user(context.user, *user_it->second, out); !applied) {
      return tl::unexpected(applied.error());
    }
  }

  if (!context.namespace_name.empty()) {
    if (!is_dns1123_label(context.namespace_name)) {
      return tl::unexpected(fmt::format(
          "{}: Invalid value: \"{}\": a lowercase RFC 1123 label must consist of lower case "
          "alphanumeric characters or '-', and must start and end with an alphanumeric character",
          location(context.file, context.path, "namespace"), context.namespace_name));
    }
    out.namespace_name = context.namespace_name;
  }

  if (is_plain_http(out.server)) {
    // client-go sends credentials and applies TLS settings only over TLS.
    ClusterConnection plain;
    plain.server = out.server;
    plain.namespace_name = out.namespace_name;
    plain.context_name = out.context_name;
    plain.source = out.source;
    out = std::move(plain);
  }
  return out;
}

tl::expected<ClusterConnection, std::string> in_cluster(const Getenv& getenv_in,
                                                        std::string service_account_dir) {
  Getenv getenv = or_process(getenv_in);
  std::string host = env(getenv, "KUBERNETES_SERVICE_HOST");
  std::string port = env(getenv, "KUBERNETES_SERVICE_PORT");
  if (host.empty() || port.empty()) {
    return tl::unexpected(
        std::string("unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and "
                    "KUBERNETES_SERVICE_PORT must be defined"));
  }
  ClusterConnection out;
  // net.JoinHostPort: brackets around a host that contains a colon (IPv6).
  out.server = host.find(':') != std::string::npos ? fmt::format("https://[{}]:{}", host, port)
                                                   : fmt::format("https://{}:{}", host, port);
  fs::path dir(service_account_dir);
  std::string token_file = (dir / "token").string();
  auto token = read_file(token_file, kMaxTokenBytes);
  if (!token) {
    return tl::unexpected(fmt::format("unable to load in-cluster configuration: cannot read {}: {}",
                                      token_file, token.error().message));
  }
  out.bearer_token = trim(*token);
  if (out.bearer_token.empty()) {
    return tl::unexpected(
        fmt::format("unable to load in-cluster configuration: {} is empty", token_file));
  }
  out.bearer_token_file = token_file;
  if (auto ca = read_file((dir / "ca.crt").string(), kMaxReferencedFileBytes);
      ca && looks_like_certificate(*ca)) {
    out.ca_pem = std::move(*ca);
  }
  if (std::string ns = env(getenv, "POD_NAMESPACE"); !ns.empty()) {
    out.namespace_name = ns;
  } else if (auto file = read_file((dir / "namespace").string(), kMaxTokenBytes); file) {
    if (std::string trimmed = trim(*file); !trimmed.empty()) out.namespace_name = trimmed;
  }
  out.source = "in-cluster";
  return out;
}

tl::expected<ClusterConnection, std::string> load_default(std::string_view explicit_path,
                                                          std::string_view context,
                                                          const Getenv& getenv_in,
                                                          std::string service_account_dir) {
  Getenv getenv = or_process(getenv_in);
  KubeconfigOptions options{std::string(explicit_path), std::string(context), getenv};
  if (!explicit_path.empty() || !env(getenv, "KUBECONFIG").empty()) {
    return load_kubeconfig(options);
  }
  std::string in_cluster_error;
  if (context.empty() && !env(getenv, "KUBERNETES_SERVICE_HOST").empty()) {
    auto connection = in_cluster(getenv, std::move(service_account_dir));
    if (connection) return connection;
    in_cluster_error = connection.error();
  }
  auto connection = load_kubeconfig(options);
  if (!connection && !in_cluster_error.empty()) {
    return tl::unexpected(
        fmt::format("in-cluster: {}; kubeconfig: {}", in_cluster_error, connection.error()));
  }
  return connection;
}

// ---------------------------------------------------------------------------------------------

BearerToken::BearerToken(const ClusterConnection& connection, Clock clock)
    : clock_(clock ? std::move(clock) : Clock([] { return std::chrono::steady_clock::now(); })),
      file_(connection.bearer_token_file),
      fallback_(connection.bearer_token) {}

std::string BearerToken::current() {
  if (file_.empty()) return fallback_;
  std::lock_guard lock(mutex_);
  auto now = clock_();
  std::error_code ec;
  std::optional<fs::file_time_type> mtime;
  if (auto t = fs::last_write_time(file_, ec); !ec) mtime = t;
  bool due = !attempted_ || mtime != last_mtime_ || now - last_read_ >= kRefreshInterval;
  if (due) {
    attempted_ = true;
    last_read_ = now;
    last_mtime_ = mtime;
    auto content = read_file(file_, kMaxTokenBytes);
    if (!content) {
      last_error_ = fmt::format("cannot read token file {}: {}", file_, content.error().message);
    } else if (std::string token = trim(*content); token.empty()) {
      last_error_ = fmt::format("token file {} is empty", file_);
    } else {
      value_ = std::move(token);
      have_value_ = true;
      last_error_.clear();
    }
  }
  return have_value_ ? value_ : fallback_;
}

std::string BearerToken::last_error() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

// ---------------------------------------------------------------------------------------------

tl::expected<void, std::string> write_kubeconfig(const KubeconfigToWrite& request) {
  const ClusterConnection& c = request.connection;
  auto fail = [&](std::string_view why) {
    return tl::unexpected(fmt::format("writing kubeconfig {}: {}", request.path, why));
  };
  if (request.path.empty()) return tl::unexpected(std::string("writing kubeconfig: no path given"));
  if (c.server.empty()) return fail("the connection has no server");

  std::string context_name = !request.context_name.empty() ? request.context_name
                             : !c.context_name.empty()     ? c.context_name
                                                           : std::string("default");
  std::string cluster_name = request.cluster_name.empty() ? context_name : request.cluster_name;
  std::string user_name = request.user_name.empty() ? context_name : request.user_name;

  json::object cluster;
  cluster["server"] = c.server;
  if (!c.ca_pem.empty()) cluster["certificate-authority-data"] = base64_encode(c.ca_pem);
  if (c.insecure_skip_tls_verify) cluster["insecure-skip-tls-verify"] = true;
  if (!c.tls_server_name.empty()) cluster["tls-server-name"] = c.tls_server_name;

  json::object user;
  if (!c.client_cert_pem.empty()) {
    user["client-certificate-data"] = base64_encode(c.client_cert_pem);
  }
  if (!c.client_key_pem.empty()) user["client-key-data"] = base64_encode(c.client_key_pem);
  if (!c.bearer_token.empty()) user["token"] = c.bearer_token;
  if (!c.bearer_token_file.empty()) user["tokenFile"] = c.bearer_token_file;
  if (!c.username.empty()) user["username"] = c.username;
  if (!c.password.empty()) user["password"] = c.password;

  json::object context;
  context["cluster"] = cluster_name;
  context["user"] = user_name;
  if (!c.namespace_name.empty()) context["namespace"] = c.namespace_name;

  json::object root;
  root["apiVersion"] = "v1";
  root["kind"] = "Config";
  root["clusters"] = json::array{json::object{{"name", cluster_name}, {"cluster", cluster}}};
  root["users"] = json::array{json::object{{"name", user_name}, {"user", user}}};
  root["contexts"] = json::array{json::object{{"name", context_name}, {"context", context}}};
  root["current-context"] = context_name;
  root["preferences"] = json::object();
  std::string text = common::to_yaml(root);

  fs::path target(request.path);
  fs::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(fmt::format("cannot create directory {}: {}", dir.string(), ec.message()));

  std::string temp = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  int fd = ::mkstemp(temp.data());  // mode 0600
  if (fd < 0) {
    return fail(
        fmt::format("cannot create a temporary file in {}: {}", dir.string(), errno_text(errno)));
  }
  auto abandon = [&](std::string_view step, int error) {
    ::close(fd);
    ::unlink(temp.c_str());
    return fail(fmt::format("{}: {}", step, errno_text(error)));
  };
  if (::fchmod(fd, S_IRUSR | S_IWUSR) != 0) return abandon("chmod", errno);
  std::size_t written = 0;
  while (written < text.size()) {
    ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return abandon("write", errno);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) return abandon("fsync", errno);
  if (::close(fd) != 0) {
    int error = errno;
    ::unlink(temp.c_str());
    return fail(fmt::format("close: {}", errno_text(error)));
  }
  if (::rename(temp.c_str(), request.path.c_str()) != 0) {
    int error = errno;
    ::unlink(temp.c_str());
    return fail(fmt::format("rename: {}", errno_text(error)));
  }
  // Make the rename itself durable; a failure here leaves a correct file, so it is not reported.
  if (int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return {};
}

std::string describe(const ClusterConnection& c) {
  std::vector<std::string> auth;
  if (!c.client_cert_pem.empty()) auth.emplace_back("client certificate");
  if (!c.bearer_token_file.empty()) {
    auth.push_back("bearer token file " + c.bearer_token_file);
  } else if (!c.bearer_token.empty()) {
    auth.emplace_back("bearer token");
  }
  if (!c.username.empty() || !c.password.empty()) auth.emplace_back("basic auth");
  if (auth.empty()) auth.emplace_back("none");

  std::string tls;
  if (is_plain_http(c.server)) {
    tls = "none (plain http)";
  } else if (c.insecure_skip_tls_verify) {
    tls = "server certificate not verified (insecure-skip-tls-verify)";
  } else {
    tls = c.ca_pem.empty() ? "verified against the system trust store"
                           : "verified against the configured CA";
    if (!c.tls_server_name.empty()) tls += " as " + c.tls_server_name;
  }

  std::string out = "server " + c.server;
  if (!c.context_name.empty()) out += fmt::format(", context \"{}\"", c.context_name);
  if (!c.source.empty()) out += ", from " + c.source;
  out += ", namespace " + c.namespace_name;
  out += ", auth " + join(auth, " + ");
  out += ", TLS " + tls;
  return out;
}

}  // namespace lambda::kube
