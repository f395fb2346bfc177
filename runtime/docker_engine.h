#pragma once
// The Docker Engine API operations the docker runtime uses, typed: JSON in
// and out, engine errors turned into statuses that say what failed.
// Works against Docker Engine and Podman's Docker-compatible service.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/engine_client.h"

namespace mcpgw::runtime {

struct ContainerDetails {
  std::string id;
  std::string image;  // as asked for at create (Config.Image)
  bool running = false;
  int exit_code = 0;
  bool oom_killed = false;
  std::optional<int> pid;  // the container's pid 1 as the host sees it
  std::vector<std::string> env;  // secret: holds the DSN
  std::map<std::string, std::string> labels;
  // Address on the container's named network, when it has one.
  std::string network_ip;
};

// One line of GET /events, as far as the runtime cares.
struct EngineEvent {
  std::string type;    // "container", ...
  std::string action;  // "die", "start", ...
  std::string id;      // the container's id
  std::optional<int> exit_code;  // for "die"
};

// Decodes one line of the events stream; nullopt when it is not an event.
std::optional<EngineEvent> ParseEngineEvent(std::string_view line);

class DockerEngine {
 public:
  explicit DockerEngine(EngineClient client);

  absl::Status Ping() const;
  // Returns the new container's id. A missing image is FailedPrecondition.
  absl::StatusOr<std::string> Create(const std::string& name,
                                     const std::string& body,
                                     const std::string& image) const;
  absl::Status Start(const std::string& id) const;
  // SIGTERM, then SIGKILL after `grace`; returns once it has stopped.
  absl::Status Stop(const std::string& id, std::chrono::seconds grace) const;
  absl::Status Kill(const std::string& id) const;
  // Removes the container (force: also when running). Gone already is OK.
  absl::Status Remove(const std::string& id) const;
  // Streams container events from `since` (unix seconds) on, each line
  // decoded, until the stream ends or `should_stop` says so. One stream
  // serves every container: the engine's wait endpoint costs Podman a busy
  // poller per waiting container.
  absl::Status StreamContainerEvents(
      std::int64_t since, const std::function<void(const EngineEvent&)>& on_event,
      const std::function<bool()>& should_stop) const;
  // The last `tail` lines of stdout and stderr, demultiplexed.
  absl::StatusOr<std::string> Logs(const std::string& id, int tail) const;
  // NotFound when there is no such container.
  absl::StatusOr<ContainerDetails> Inspect(const std::string& id) const;
  // Ids of all containers (running or not) with the gateway's label.
  absl::StatusOr<std::vector<std::string>> ListByGateway(
      const std::string& gateway_id) const;

  const EngineAddress& address() const { return client_.address(); }

 private:
  absl::StatusOr<EngineResponse> Call(const std::string& method,
                                      const std::string& path,
                                      const std::optional<std::string>& body,
                                      std::chrono::milliseconds timeout) const;
  const EngineClient client_;
};

// The engine's own explanation from an error body ({"message": ...}), else
// the body itself, shortened.
std::string EngineErrorMessage(const std::string& body);

}  // namespace mcpgw::runtime
