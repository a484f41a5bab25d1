// base64 (RFC 4648, standard alphabet, padded) as Go's encoding/json reads and writes []byte,
// which is how Kubernetes carries bytes in JSON: Secret data, kubeconfig *-data fields, caBundle.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <tl/expected.hpp>

namespace lambda::common {

std::string base64_encode(std::string_view data);
// Strict as Go: padding required, '\r' and '\n' skipped; the error names the offset Go would
// ("illegal base64 data at input byte 4").
tl::expected<std::string, std::string> base64_decode(std::string_view text);

}  // namespace lambda::common
