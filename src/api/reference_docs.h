// Reference documentation generated from the field declarations, so that the docs cannot
// disagree with the code: docs/reference/api.md (every field) and docs/reference/defaults.md
// (every default) and docs/reference/environment.md (the environment contract).
// reference_docs_test fails when the committed files drift; regenerate with
// `lambdactl docs api > docs/reference/api.md` and `lambdactl docs defaults >
// docs/reference/defaults.md` (likewise `docs environment`).
#pragma once

#include <string>

namespace lambda::api {

std::string api_reference_markdown();
std::string defaults_reference_markdown();
std::string environment_reference_markdown();

}  // namespace lambda::api
