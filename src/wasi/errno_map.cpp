// Host errno -> WASI errno (the witx's errno enum), for every error Linux can report.
#include <cerrno>

#include "wasi/ctx_impl.hpp"

namespace wisp::wasi_impl {

Errno from_host_errno(int e) {
  switch (e) {
    case 0:
      return E_SUCCESS;
    case E2BIG:
      return E_2BIG;
    case EACCES:
      return E_ACCES;
    case EADDRINUSE:
      return E_ADDRINUSE;
    case EADDRNOTAVAIL:
      return E_ADDRNOTAVAIL;
    case EAFNOSUPPORT:
      return E_AFNOSUPPORT;
    case EAGAIN:
      return E_AGAIN;
    case EALREADY:
      return E_ALREADY;
    case EBADF:
      return E_BADF;
    case EBADMSG:
      return E_BADMSG;
    case EBUSY:
      return E_BUSY;
    case ECANCELED:
      return E_CANCELED;
    case ECHILD:
      return E_CHILD;
    case ECONNABORTED:
      return E_CONNABORTED;
    case ECONNREFUSED:
      return E_CONNREFUSED;
    case ECONNRESET:
      return E_CONNRESET;
    case EDEADLK:
      return E_DEADLK;
    case EDESTADDRREQ:
      return E_DESTADDRREQ;
    case EDOM:
      return E_DOM;
    case EDQUOT:
      return E_DQUOT;
    case EEXIST:
      return E_EXIST;
    case EFAULT:
      return E_FAULT;
    case EFBIG:
      return E_FBIG;
    case EHOSTUNREACH:
      return E_HOSTUNREACH;
    case EIDRM:
      return E_IDRM;
    case EILSEQ:
      return E_ILSEQ;
    case EINPROGRESS:
      return E_INPROGRESS;
    case EINTR:
      return E_INTR;
    case EINVAL:
      return E_INVAL;
    case EIO:
      return E_IO;
    case EISCONN:
      return E_ISCONN;
    case EISDIR:
      return E_ISDIR;
    case ELOOP:
      return E_LOOP;
    case EMFILE:
      return E_MFILE;
    case EMLINK:
      return E_MLINK;
    case EMSGSIZE:
      return E_MSGSIZE;
    case EMULTIHOP:
      return E_MULTIHOP;
    case ENAMETOOLONG:
      return E_NAMETOOLONG;
    case ENETDOWN:
      return E_NETDOWN;
    case ENETRESET:
      return E_NETRESET;
    case ENETUNREACH:
      return E_NETUNREACH;
    case ENFILE:
      return E_NFILE;
    case ENOBUFS:
      return E_NOBUFS;
    case ENODEV:
      return E_NODEV;
    case ENOENT:
      return E_NOENT;
    case ENOEXEC:
      return E_NOEXEC;
    case ENOLCK:
      return E_NOLCK;
    case ENOLINK:
      return E_NOLINK;
    case ENOMEM:
      return E_NOMEM;
    case ENOMSG:
      return E_NOMSG;
    case ENOPROTOOPT:
      return E_NOPROTOOPT;
    case ENOSPC:
      return E_NOSPC;
    case ENOSYS:
      return E_NOSYS;
    case ENOTCONN:
      return E_NOTCONN;
    case ENOTDIR:
      return E_NOTDIR;
    case ENOTEMPTY:
      return E_NOTEMPTY;
    case ENOTRECOVERABLE:
      return E_NOTRECOVERABLE;
    case ENOTSOCK:
      return E_NOTSOCK;
    case ENOTSUP:
      return E_NOTSUP;  // == EOPNOTSUPP on Linux
    case ENOTTY:
      return E_NOTTY;
    case ENXIO:
      return E_NXIO;
    case EOVERFLOW:
      return E_OVERFLOW;
    case EOWNERDEAD:
      return E_OWNERDEAD;
    case EPERM:
      return E_PERM;
    case EPIPE:
      return E_PIPE;
    case EPROTO:
      return E_PROTO;
    case EPROTONOSUPPORT:
      return E_PROTONOSUPPORT;
    case EPROTOTYPE:
      return E_PROTOTYPE;
    case ERANGE:
      return E_RANGE;
    case EROFS:
      return E_ROFS;
    case ESPIPE:
      return E_SPIPE;
    case ESRCH:
      return E_SRCH;
    case ESTALE:
      return E_STALE;
    case ETIMEDOUT:
      return E_TIMEDOUT;
    case ETXTBSY:
      return E_TXTBSY;
    case EXDEV:
      return E_XDEV;
    default:
      return E_IO;
  }
}

void fail_errno() {
  fail(from_host_errno(errno));
}

}  // namespace wisp::wasi_impl
