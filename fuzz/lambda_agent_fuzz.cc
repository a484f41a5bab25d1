// libFuzzer target for everything user input goes through before the operator applies it:
//   text --parse_yaml_documents--> documents --check_agent--> defaulted agent
//        --render--> Kubernetes objects --to_yaml_documents--> text --parse_yaml_documents-->
//        objects
//
// Besides "no crash, no sanitizer report, no leak", it checks the promises the headers make:
// - codec.h: decode(encode(a)) == a for whatever decode produced, even from a bad document;
// - defaults.h: apply_defaults is idempotent;
// - json_yaml.h: what to_yaml_documents writes reads back through parse_yaml_documents as the
//   same values (modulo the documented number and invalid-UTF-8 normalisations);
// - render.h: the agent.yaml the ConfigMap hands the sidecar is itself a valid LambdaAgent.
// A broken promise aborts with a message, which libFuzzer reports as a crash.
//
// Built with -fsanitize=fuzzer by fuzz/CMakeLists.txt; fuzz/replay_main.cc replays a corpus
// through the same function in ordinary builds (test/fuzz_replay.cmake).
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/codec.h"
#include "api/defaults.h"
#include "api/validation.h"
#include "common/json_yaml.h"
#include "render/render.h"

namespace {

namespace json = boost::json;
using namespace lambda;

[[noreturn]] void fail(std::string_view what, std::string_view detail) {
  std::fprintf(stderr, "lambda_agent_fuzz: %.*s\n%.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(detail.size()), detail.data());
  std::fflush(stderr);
  std::abort();
}

bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += extra + 1;
  }
  return true;
}

// Strings, and object keys, that are not UTF-8 come back with U+FFFD: not compared.
bool same_text_after_round_trip(std::string_view written, std::string_view read) {
  return !is_valid_utf8(written) || written == read;
}

// Equality up to what json_yaml.h says a YAML round trip may change: integral doubles come back
// as integers and -0.0 as 0 (numbers compare by value), and text that is not UTF-8 comes back
// with U+FFFD. Members are compared in order: both the writer and the parser keep it.
bool same_after_round_trip(const json::value& written, const json::value& read) {
  if (written.is_number() && read.is_number()) {
    if (written.is_double() || read.is_double())
      return written.to_number<double>() == read.to_number<double>();
    return written == read;
  }
  if (written.kind() != read.kind()) return false;
  switch (written.kind()) {
    case json::kind::string:
      return same_text_after_round_trip(written.get_string(), read.get_string());
    case json::kind::array: {
      const auto& a = written.get_array();
      const auto& b = read.get_array();
      if (a.size() != b.size()) return false;
      for (std::size_t i = 0; i < a.size(); ++i)
        if (!same_after_round_trip(a[i], b[i])) return false;
      return true;
    }
    case json::kind::object: {
      const auto& a = written.get_object();
      const auto& b = read.get_object();
      if (a.size() != b.size()) return false;
      for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j)
        if (!same_text_after_round_trip(i->key(), j->key()) ||
            !same_after_round_trip(i->value(), j->value()))
          return false;
      return true;
    }
    default:
      return written == read;
  }
}

void check_codec_round_trip(const api::LambdaAgent& agent, std::string_view what) {
  const json::value encoded = api::encode(agent);
  api::LambdaAgent again;
  api::ErrorList errors = api::decode(encoded, again);
  if (!errors.empty())
    fail(std::string(what) + ": encode() wrote something decode() rejects",
         errors.to_string() + "\n" + common::to_json(encoded));
  if (!(again == agent))
    fail(std::string(what) + ": decode(encode(a)) != a", common::to_json(encoded));
}

// What to_yaml_documents writes must read back as the same objects (json_yaml.h).
void check_yaml_round_trip(const std::vector<json::value>& objects, std::string_view what) {
  const std::string text = common::to_yaml_documents(objects);
  auto reread = common::parse_yaml_documents(text);
  if (!reread)
    fail(std::string(what) + ": YAML does not parse: " + reread.error().to_string(), text);
  if (reread->size() != objects.size())
    fail(std::string(what) + ": YAML reads back as " + std::to_string(reread->size()) +
             " documents, not " + std::to_string(objects.size()),
         text);
  for (std::size_t i = 0; i < objects.size(); ++i)
    if (!same_after_round_trip(objects[i], (*reread)[i]))
      fail(std::string(what) + ": object " + std::to_string(i) + " reads back differently",
           common::to_json(objects[i]) + "\n---\n" + common::to_json((*reread)[i]));
}

// Returns the defaulted agent when it is valid.
std::optional<api::LambdaAgent> check_document(const json::value& document) {
  // decode alone, as decode_documents does, including for documents that fail.
  if (document.is_object()) {
    api::LambdaAgent raw;
    api::ErrorList decode_errors = api::decode(document, raw);
    (void)decode_errors.to_string();
    check_codec_round_trip(raw, "decoded agent");
  }

  api::CheckedAgent checked = api::check_agent(document);
  for (const auto& error : checked.errors.errors())
    if (error.to_string().empty()) fail("an error printed as nothing", checked.errors.to_string());
  for (const auto& warning : checked.warnings) (void)warning.to_string();

  api::LambdaAgent redefaulted = checked.agent;
  api::apply_defaults(redefaulted);
  if (!(redefaulted == checked.agent))
    fail("apply_defaults is not idempotent", common::to_json(api::encode(checked.agent)));
  check_codec_round_trip(checked.agent, "defaulted agent");
  if (!checked.ok()) return std::nullopt;

  const std::vector<json::value> objects = render::render(checked.agent);
  check_yaml_round_trip(objects, "render");

  // The sidecar reads the agent back from the ConfigMap with the same code: it must be valid.
  if (checked.agent.metadata && checked.agent.metadata->name && !objects.empty()) {
    const json::value* data = objects[0].as_object().if_contains("data");
    const json::value* config = data && data->is_object()
                                    ? data->as_object().if_contains(render::kConfigFileName)
                                    : nullptr;
    if (!config || !config->is_string())
      fail("first rendered object has no agent.yaml", common::to_json(objects[0]));
    auto parsed = common::parse_yaml(config->get_string());
    if (!parsed)
      fail("the ConfigMap's agent.yaml does not parse: " + parsed.error().to_string(),
           config->get_string());
    api::CheckedAgent sidecar_view = api::check_agent(*parsed);
    if (!sidecar_view.ok())
      fail("the ConfigMap's agent.yaml is not a valid agent:\n" + sidecar_view.errors.to_string(),
           config->get_string());
  }
  return std::move(checked.agent);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto documents = common::parse_yaml_documents(text);
  if (!documents) {
    (void)documents.error().to_string();
    return 0;
  }
  // decode_documents reads the same stream as parse_yaml_documents does.
  const std::vector<api::DecodedAgent> decoded = api::decode_documents(text);
  if (decoded.size() != documents->size())
    fail("decode_documents found " + std::to_string(decoded.size()) + " documents, not " +
             std::to_string(documents->size()),
         text);
  for (const auto& agent : decoded) (void)agent.errors.to_string();

  std::vector<api::LambdaAgent> valid;
  for (const auto& document : *documents)
    if (auto agent = check_document(document)) valid.push_back(std::move(*agent));

  // Every valid agent of the stream together, as `lambdactl render` of a multi-agent file.
  if (!valid.empty()) {
    const render::Combined combined = render::render_all(valid);
    check_yaml_round_trip(combined.objects, "render_all");
  }
  return 0;
}
