// Type traits shared by the visitors over lambda_agent_fields.h (internal to the api layer).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "api/lambda_agent_fields.h"

namespace lambda::api::reflect {

template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {
  using Element = T;
};

template <class T>
struct IsStringMap : std::false_type {};
template <class T>
struct IsStringMap<std::map<std::string, T>> : std::true_type {
  using Element = T;
};

template <class T>
concept ApiObject = kIsApiObject<T>;

// Calls describe() on an object that a read-only visitor must not change; see the note at the
// top of lambda_agent_fields.h.
template <class V, class T>
void describe_const(V& visitor, const T& object) {
  describe(visitor, const_cast<T&>(object));
}

}  // namespace lambda::api::reflect
