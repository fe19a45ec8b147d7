#include "mpi/mpi_worker_group.h"

#include <mpi.h>

#include <list>
#include <string>
#include <utility>

#include "flatland/errors.h"

namespace flatland::analysis {

namespace {

void check(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw Error(std::string("MPI ") + what + " failed: " + std::string(text, size_t(length)));
}

class MpiWorkerGroup final : public WorkerGroup {
 public:
  MpiWorkerGroup() {
    MPI_Comm_rank(MPI_COMM_WORLD, &m_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &m_size);
  }

  ~MpiWorkerGroup() override {
    for (auto& pending : m_pending) MPI_Wait(&pending.first, MPI_STATUS_IGNORE);
    MPI_Finalize();
  }

  int rank() const override { return m_rank; }
  int size() const override { return m_size; }

  std::string broadcast(const std::string& text) override {
    unsigned long long length = text.size();
    check(MPI_Bcast(&length, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD), "broadcast");
    std::string out = isRoot() ? text : std::string(size_t(length), '\0');
    if (length > 0)
      check(MPI_Bcast(out.data(), int(length), MPI_CHAR, 0, MPI_COMM_WORLD), "broadcast");
    return out;
  }

  void sendToRoot(int tag, const std::vector<double>& values) override {
    completeFinishedSends();
    // The buffer must outlive the send: keep it beside its request until MPI is done with it.
    m_pending.emplace_back(MPI_REQUEST_NULL, values);
    auto& [request, buffer] = m_pending.back();
    check(
        MPI_Isend(buffer.data(), int(buffer.size()), MPI_DOUBLE, 0, tag, MPI_COMM_WORLD, &request),
        "send");
  }

  std::optional<Message> receive(int tag, bool wait, int from) override {
    const int source = from < 0 ? MPI_ANY_SOURCE : from;
    MPI_Status status;
    if (wait) {
      check(MPI_Probe(source, tag, MPI_COMM_WORLD, &status), "probe");
    } else {
      int arrived = 0;
      check(MPI_Iprobe(source, tag, MPI_COMM_WORLD, &arrived, &status), "probe");
      if (!arrived) return std::nullopt;
    }
    int count = 0;
    MPI_Get_count(&status, MPI_DOUBLE, &count);
    Message message;
    message.from = status.MPI_SOURCE;
    message.values.resize(size_t(count));
    check(MPI_Recv(message.values.data(), count, MPI_DOUBLE, status.MPI_SOURCE, tag, MPI_COMM_WORLD,
                   MPI_STATUS_IGNORE),
          "receive");
    return message;
  }

  void abort(int exitCode) override { MPI_Abort(MPI_COMM_WORLD, exitCode); }

 private:
  void completeFinishedSends() {
    for (auto it = m_pending.begin(); it != m_pending.end();) {
      int done = 0;
      MPI_Test(&it->first, &done, MPI_STATUS_IGNORE);
      it = done ? m_pending.erase(it) : std::next(it);
    }
  }

  int m_rank = 0;
  int m_size = 1;
  std::list<std::pair<MPI_Request, std::vector<double>>> m_pending;
};

}  // namespace

std::unique_ptr<WorkerGroup> joinMpiWorld(int& argc, char**& argv) {
  int initialised = 0;
  MPI_Initialized(&initialised);
  if (!initialised) {
    // Only the main thread calls MPI; LibTorch's own threads never do.
    int provided = 0;
    check(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided), "initialisation");
  }
  return std::make_unique<MpiWorkerGroup>();
}

}  // namespace flatland::analysis
