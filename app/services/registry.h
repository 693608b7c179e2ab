// The services tern ships, by name, for the configuration loader: a
// listener's `service = "http"` and its options become a Service through
// MakeService.
//
// Contract: MakeService validates the options of the service it makes (the
// others are ignored) and returns InvalidArgument naming the problem; an
// unknown name gets InvalidArgument listing the known ones.
#ifndef TERN_APP_SERVICES_REGISTRY_H_
#define TERN_APP_SERVICES_REGISTRY_H_

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>

#include "absl/status/statusor.h"
#include "app/services/discard.h"
#include "app/services/echo.h"
#include "app/services/example_upper.h"
#include "app/services/http.h"
#include "app/services/service.h"
#include "app/services/source.h"

namespace tern::app {

struct ServiceOptions {
  EchoOptions echo;
  DiscardOptions discard;
  SinkOptions sink;
  SourceOptions source;
  HttpOptions http;
  UpperOptions upper;
};

// The names MakeService knows, in a fixed order.
std::span<const std::string_view> ServiceNames();

absl::StatusOr<std::unique_ptr<Service>> MakeService(
    std::string_view name, const ServiceOptions& options,
    size_t max_connections);

}  // namespace tern::app

#endif  // TERN_APP_SERVICES_REGISTRY_H_
