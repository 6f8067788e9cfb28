// The WASI context: creation (stdio, preopens, sockets), the fd table with rights, and the
// checked access to guest memory.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "instance/instance_impl.hpp"
#include "wasi/ctx_impl.hpp"
#include "wasi/path_resolve.hpp"

namespace wisp {
namespace wasi_impl {

bool interrupt_pending(const Call& c) {
  if (!c.inst || !c.inst->interrupt) return false;
  const rt::InterruptState& s = *c.inst->interrupt;
  uint64_t id = s.running_call.load(std::memory_order_acquire);
  return id != 0 && s.requested.load(std::memory_order_acquire) == id;
}

FdEntry::~FdEntry() {
  if (owned && host >= 0) ::close(host);
}

uint8_t* GuestMem::ptr(uint64_t p, uint64_t len) {
  if (!mem_.valid() || p + len < p || p + len > mem_.size()) fail(E_FAULT);
  // Writable memory: host code may write through it (a write to a write-tracked page faults
  // and is let through by the runtime). Never null, even for len 0 (memcpy's contract).
  return const_cast<uint8_t*>(mem_.view(p, len).data());
}

uint8_t* GuestMem::kernel_out(uint64_t p, uint64_t len) {
  if (!mem_.valid() || p + len < p || p + len > mem_.size()) fail(E_FAULT);
  return mem_.span(p, len).data();
}

std::string GuestMem::string(uint64_t p, uint64_t len) {
  uint8_t* s = ptr(p, len);
  return len ? std::string(reinterpret_cast<const char*>(s), len) : std::string();
}

std::string GuestMem::path(uint64_t p, uint64_t len) {
  std::string s = string(p, len);
  if (s.find('\0') != std::string::npos) fail(E_ILSEQ);
  return s;
}

std::vector<IoVec> load_iovs(GuestMem& mem, uint32_t iovs, uint32_t count, bool kernel_writes) {
  if (count > 1024) fail(E_INVAL);  // IOV_MAX
  std::vector<IoVec> out;
  out.reserve(count);
  uint64_t total = 0;
  for (uint32_t i = 0; i < count; ++i) {
    uint64_t at = iovs + uint64_t{i} * kIovecSize;
    uint32_t buf = mem.load<uint32_t>(at);
    uint32_t len = mem.load<uint32_t>(at + 4);
    total += len;
    if (total > 0x7fffffffu) fail(E_INVAL);
    out.push_back({kernel_writes ? mem.kernel_out(buf, len) : mem.ptr(buf, len), len});
  }
  return out;
}

namespace {

uint8_t filetype_of_mode(mode_t m) {
  if (S_ISREG(m)) return FILETYPE_REGULAR_FILE;
  if (S_ISDIR(m)) return FILETYPE_DIRECTORY;
  if (S_ISCHR(m)) return FILETYPE_CHARACTER_DEVICE;
  if (S_ISBLK(m)) return FILETYPE_BLOCK_DEVICE;
  if (S_ISLNK(m)) return FILETYPE_SYMBOLIC_LINK;
  if (S_ISSOCK(m)) return FILETYPE_SOCKET_STREAM;
  return FILETYPE_UNKNOWN;
}

std::unique_ptr<FdEntry> stdio_entry(const WasiStdio& s, int host_fd, bool input,
                                     std::shared_ptr<OutBuffer>* out) {
  auto e = std::make_unique<FdEntry>();
  Rights dir_right = input ? R_FD_READ : R_FD_WRITE;
  e->base = (kStreamRights & ~(R_FD_READ | R_FD_WRITE)) | dir_right;
  switch (s.mode) {
    case WasiStdio::Mode::inherit: {
      e->kind = FdKind::host;
      e->host = host_fd;
      e->owned = false;
      struct stat st;
      if (::fstat(host_fd, &st) == 0) {
        e->filetype = filetype_of_mode(st.st_mode);
        if (S_ISREG(st.st_mode)) e->base |= R_FD_SEEK | R_FD_TELL;
      }
      if (e->filetype == FILETYPE_SOCKET_STREAM) {
        int type = 0;
        socklen_t len = sizeof type;
        if (::getsockopt(host_fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_DGRAM)
          e->filetype = FILETYPE_SOCKET_DGRAM;
      }
      int fl = ::fcntl(host_fd, F_GETFL);
      if (fl >= 0 && (fl & O_APPEND)) e->fdflags |= FDFLAGS_APPEND;
      break;
    }
    case WasiStdio::Mode::buffer:
      if (input) {
        e->kind = FdKind::buffer_in;
        e->in = std::make_shared<InBuffer>();
        e->in->data = s.input;
      } else {
        e->kind = FdKind::buffer_out;
        e->out = std::make_shared<OutBuffer>();
        e->out->limit = s.output_limit;
        *out = e->out;
      }
      break;
    case WasiStdio::Mode::null:
      e->kind = input ? FdKind::null_in : FdKind::null_out;
      break;
  }
  return e;
}

}  // namespace

uint8_t filetype_of(mode_t m) {
  return filetype_of_mode(m);
}

}  // namespace wasi_impl

using namespace wasi_impl;

wasi_impl::FdEntry& WasiCtx::Impl::get(uint32_t fd, Rights rights) {
  if (fd >= fds.size() || !fds[fd]) fail(E_BADF);
  FdEntry& e = *fds[fd];
  if ((e.base & rights) != rights) fail(E_NOTCAPABLE);
  return e;
}

uint32_t WasiCtx::Impl::insert(std::unique_ptr<FdEntry> e) {
  for (uint32_t i = 0; i < fds.size(); ++i) {
    if (!fds[i]) {
      fds[i] = std::move(e);
      return i;
    }
  }
  if (fds.size() >= max_fds) fail(E_MFILE);
  fds.push_back(std::move(e));
  return static_cast<uint32_t>(fds.size() - 1);
}

WasiCtx::WasiCtx() : impl_(std::make_unique<Impl>()) {}
WasiCtx::~WasiCtx() = default;

std::shared_ptr<WasiCtx> WasiCtx::create(const WasiConfig& config) {
  std::shared_ptr<WasiCtx> ctx(new WasiCtx());
  Impl& im = *ctx->impl_;
  im.args = config.args;
  im.env = config.env;
  im.max_fds =
      std::max<uint32_t>(config.max_fds, 3 + config.preopens.size() + config.sockets.size());
  std::shared_ptr<OutBuffer> unused;
  im.fds.push_back(stdio_entry(config.stdin_stream, 0, true, &unused));
  im.fds.push_back(stdio_entry(config.stdout_stream, 1, false, &im.out));
  im.fds.push_back(stdio_entry(config.stderr_stream, 2, false, &im.err));
  for (const WasiPreopen& p : config.preopens) {
    int fd = ::open(p.host.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      throw Error("cannot preopen directory '" + p.host + "': " + std::strerror(errno));
    }
    auto e = std::make_unique<FdEntry>();
    e->host = fd;
    e->filetype = FILETYPE_DIRECTORY;
    e->base = kDirRights;
    e->inheriting = kDirRights | kFileRights;
    // Read-only: no right that writes on the directory or on anything opened beneath it. The
    // inheriting rights stay complete so that wasi-libc asks for write access when it wants it
    // (it masks its request with them) and path_open can refuse it with ENOTCAPABLE.
    if (p.readonly) {
      e->base &= ~kWriteRights;
      e->readonly = true;
    }
    e->preopen = p.guest.empty() ? p.host : p.guest;
    im.fds.push_back(std::move(e));
  }
  for (int s : config.sockets) {
    int fd = ::fcntl(s, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) throw Error(std::string("cannot duplicate socket: ") + std::strerror(errno));
    auto e = std::make_unique<FdEntry>();
    e->host = fd;
    e->filetype = FILETYPE_SOCKET_STREAM;
    e->base = kSocketRights;
    e->inheriting = kSocketRights;
    im.fds.push_back(std::move(e));
  }
  return ctx;
}

std::shared_ptr<WasiCtx> WasiCtx::attach(Instance& instance, const WasiConfig& config) {
  std::shared_ptr<WasiCtx> ctx = create(config);
  instance.set_host_state(ctx);
  return ctx;
}

HostStateFactory WasiCtx::factory(WasiConfig config) {
  return [config = std::move(config)](Instance& instance) { attach(instance, config); };
}

namespace {
const std::string kEmpty;
}

const std::string& WasiCtx::stdout_data() const {
  return impl_->out ? impl_->out->data : kEmpty;
}
const std::string& WasiCtx::stderr_data() const {
  return impl_->err ? impl_->err->data : kEmpty;
}
std::string WasiCtx::take_stdout() {
  return impl_->out ? std::exchange(impl_->out->data, {}) : std::string();
}
std::string WasiCtx::take_stderr() {
  return impl_->err ? std::exchange(impl_->err->data, {}) : std::string();
}
bool WasiCtx::output_truncated() const {
  return (impl_->out && impl_->out->truncated) || (impl_->err && impl_->err->truncated);
}
std::optional<int> WasiCtx::exit_code() const {
  return impl_->exit_code;
}

}  // namespace wisp
