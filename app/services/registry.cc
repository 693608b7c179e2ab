#include "app/services/registry.h"

#include <array>
#include <string>

#include "absl/strings/str_cat.h"

namespace tern::app {
namespace {

constexpr std::array<std::string_view, 6> kNames = {
    "discard", "echo", "http", "sink", "source", "upper"};

}  // namespace

std::span<const std::string_view> ServiceNames() { return kNames; }

absl::StatusOr<std::unique_ptr<Service>> MakeService(
    std::string_view name, const ServiceOptions& options,
    size_t max_connections) {
  if (name == "discard") {
    return DiscardService::Create(options.discard, max_connections);
  }
  if (name == "echo") {
    return EchoService::Create(options.echo, max_connections);
  }
  if (name == "http") {
    return HttpService::Create(options.http, max_connections);
  }
  if (name == "sink") {
    return SinkService::Create(options.sink, max_connections);
  }
  if (name == "source") {
    return SourceService::Create(options.source, max_connections);
  }
  if (name == "upper") {
    return UpperService::Create(options.upper, max_connections);
  }
  // Debian's abseil takes absl::string_view, not std::string_view.
  std::string known;
  for (std::string_view n : kNames) {
    absl::StrAppend(&known, known.empty() ? "" : ", ",
                    absl::string_view(n.data(), n.size()));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown service \"", absl::string_view(name.data(), name.size()),
      "\"; known services: ", known));
}

}  // namespace tern::app
