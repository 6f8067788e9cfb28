// The wasi_snapshot_preview1 ABI: errno values, rights, flags and struct offsets (from the witx;
// the same numbers as wasi-libc's <wasi/api.h>, which is generated from it).
#pragma once

#include <cstdint>

namespace wisp::wasi_abi {

using Errno = uint16_t;
using Rights = uint64_t;

inline constexpr Errno E_SUCCESS = 0;
inline constexpr Errno E_2BIG = 1;
inline constexpr Errno E_ACCES = 2;
inline constexpr Errno E_ADDRINUSE = 3;
inline constexpr Errno E_ADDRNOTAVAIL = 4;
inline constexpr Errno E_AFNOSUPPORT = 5;
inline constexpr Errno E_AGAIN = 6;
inline constexpr Errno E_ALREADY = 7;
inline constexpr Errno E_BADF = 8;
inline constexpr Errno E_BADMSG = 9;
inline constexpr Errno E_BUSY = 10;
inline constexpr Errno E_CANCELED = 11;
inline constexpr Errno E_CHILD = 12;
inline constexpr Errno E_CONNABORTED = 13;
inline constexpr Errno E_CONNREFUSED = 14;
inline constexpr Errno E_CONNRESET = 15;
inline constexpr Errno E_DEADLK = 16;
inline constexpr Errno E_DESTADDRREQ = 17;
inline constexpr Errno E_DOM = 18;
inline constexpr Errno E_DQUOT = 19;
inline constexpr Errno E_EXIST = 20;
inline constexpr Errno E_FAULT = 21;
inline constexpr Errno E_FBIG = 22;
inline constexpr Errno E_HOSTUNREACH = 23;
inline constexpr Errno E_IDRM = 24;
inline constexpr Errno E_ILSEQ = 25;
inline constexpr Errno E_INPROGRESS = 26;
inline constexpr Errno E_INTR = 27;
inline constexpr Errno E_INVAL = 28;
inline constexpr Errno E_IO = 29;
inline constexpr Errno E_ISCONN = 30;
inline constexpr Errno E_ISDIR = 31;
inline constexpr Errno E_LOOP = 32;
inline constexpr Errno E_MFILE = 33;
inline constexpr Errno E_MLINK = 34;
inline constexpr Errno E_MSGSIZE = 35;
inline constexpr Errno E_MULTIHOP = 36;
inline constexpr Errno E_NAMETOOLONG = 37;
inline constexpr Errno E_NETDOWN = 38;
inline constexpr Errno E_NETRESET = 39;
inline constexpr Errno E_NETUNREACH = 40;
inline constexpr Errno E_NFILE = 41;
inline constexpr Errno E_NOBUFS = 42;
inline constexpr Errno E_NODEV = 43;
inline constexpr Errno E_NOENT = 44;
inline constexpr Errno E_NOEXEC = 45;
inline constexpr Errno E_NOLCK = 46;
inline constexpr Errno E_NOLINK = 47;
inline constexpr Errno E_NOMEM = 48;
inline constexpr Errno E_NOMSG = 49;
inline constexpr Errno E_NOPROTOOPT = 50;
inline constexpr Errno E_NOSPC = 51;
inline constexpr Errno E_NOSYS = 52;
inline constexpr Errno E_NOTCONN = 53;
inline constexpr Errno E_NOTDIR = 54;
inline constexpr Errno E_NOTEMPTY = 55;
inline constexpr Errno E_NOTRECOVERABLE = 56;
inline constexpr Errno E_NOTSOCK = 57;
inline constexpr Errno E_NOTSUP = 58;
inline constexpr Errno E_NOTTY = 59;
inline constexpr Errno E_NXIO = 60;
inline constexpr Errno E_OVERFLOW = 61;
inline constexpr Errno E_OWNERDEAD = 62;
inline constexpr Errno E_PERM = 63;
inline constexpr Errno E_PIPE = 64;
inline constexpr Errno E_PROTO = 65;
inline constexpr Errno E_PROTONOSUPPORT = 66;
inline constexpr Errno E_PROTOTYPE = 67;
inline constexpr Errno E_RANGE = 68;
inline constexpr Errno E_ROFS = 69;
inline constexpr Errno E_SPIPE = 70;
inline constexpr Errno E_SRCH = 71;
inline constexpr Errno E_STALE = 72;
inline constexpr Errno E_TIMEDOUT = 73;
inline constexpr Errno E_TXTBSY = 74;
inline constexpr Errno E_XDEV = 75;
inline constexpr Errno E_NOTCAPABLE = 76;

inline constexpr Rights R_FD_DATASYNC = 1ull << 0;
inline constexpr Rights R_FD_READ = 1ull << 1;
inline constexpr Rights R_FD_SEEK = 1ull << 2;
inline constexpr Rights R_FD_FDSTAT_SET_FLAGS = 1ull << 3;
inline constexpr Rights R_FD_SYNC = 1ull << 4;
inline constexpr Rights R_FD_TELL = 1ull << 5;
inline constexpr Rights R_FD_WRITE = 1ull << 6;
inline constexpr Rights R_FD_ADVISE = 1ull << 7;
inline constexpr Rights R_FD_ALLOCATE = 1ull << 8;
inline constexpr Rights R_PATH_CREATE_DIRECTORY = 1ull << 9;
inline constexpr Rights R_PATH_CREATE_FILE = 1ull << 10;
inline constexpr Rights R_PATH_LINK_SOURCE = 1ull << 11;
inline constexpr Rights R_PATH_LINK_TARGET = 1ull << 12;
inline constexpr Rights R_PATH_OPEN = 1ull << 13;
inline constexpr Rights R_FD_READDIR = 1ull << 14;
inline constexpr Rights R_PATH_READLINK = 1ull << 15;
inline constexpr Rights R_PATH_RENAME_SOURCE = 1ull << 16;
inline constexpr Rights R_PATH_RENAME_TARGET = 1ull << 17;
inline constexpr Rights R_PATH_FILESTAT_GET = 1ull << 18;
inline constexpr Rights R_PATH_FILESTAT_SET_SIZE = 1ull << 19;
inline constexpr Rights R_PATH_FILESTAT_SET_TIMES = 1ull << 20;
inline constexpr Rights R_FD_FILESTAT_GET = 1ull << 21;
inline constexpr Rights R_FD_FILESTAT_SET_SIZE = 1ull << 22;
inline constexpr Rights R_FD_FILESTAT_SET_TIMES = 1ull << 23;
inline constexpr Rights R_PATH_SYMLINK = 1ull << 24;
inline constexpr Rights R_PATH_REMOVE_DIRECTORY = 1ull << 25;
inline constexpr Rights R_PATH_UNLINK_FILE = 1ull << 26;
inline constexpr Rights R_POLL_FD_READWRITE = 1ull << 27;
inline constexpr Rights R_SOCK_SHUTDOWN = 1ull << 28;
inline constexpr Rights R_SOCK_ACCEPT = 1ull << 29;

inline constexpr uint32_t CLOCKID_REALTIME = 0;
inline constexpr uint32_t CLOCKID_MONOTONIC = 1;
inline constexpr uint32_t CLOCKID_PROCESS_CPUTIME_ID = 2;
inline constexpr uint32_t CLOCKID_THREAD_CPUTIME_ID = 3;
inline constexpr uint32_t WHENCE_SET = 0;
inline constexpr uint32_t WHENCE_CUR = 1;
inline constexpr uint32_t WHENCE_END = 2;
inline constexpr uint32_t FILETYPE_UNKNOWN = 0;
inline constexpr uint32_t FILETYPE_BLOCK_DEVICE = 1;
inline constexpr uint32_t FILETYPE_CHARACTER_DEVICE = 2;
inline constexpr uint32_t FILETYPE_DIRECTORY = 3;
inline constexpr uint32_t FILETYPE_REGULAR_FILE = 4;
inline constexpr uint32_t FILETYPE_SOCKET_DGRAM = 5;
inline constexpr uint32_t FILETYPE_SOCKET_STREAM = 6;
inline constexpr uint32_t FILETYPE_SYMBOLIC_LINK = 7;
inline constexpr uint32_t ADVICE_NORMAL = 0;
inline constexpr uint32_t ADVICE_SEQUENTIAL = 1;
inline constexpr uint32_t ADVICE_RANDOM = 2;
inline constexpr uint32_t ADVICE_WILLNEED = 3;
inline constexpr uint32_t ADVICE_DONTNEED = 4;
inline constexpr uint32_t ADVICE_NOREUSE = 5;
inline constexpr uint32_t EVENTTYPE_CLOCK = 0;
inline constexpr uint32_t EVENTTYPE_FD_READ = 1;
inline constexpr uint32_t EVENTTYPE_FD_WRITE = 2;
inline constexpr uint32_t PREOPENTYPE_DIR = 0;

inline constexpr uint32_t FDFLAGS_APPEND = 1u << 0;
inline constexpr uint32_t FDFLAGS_DSYNC = 1u << 1;
inline constexpr uint32_t FDFLAGS_NONBLOCK = 1u << 2;
inline constexpr uint32_t FDFLAGS_RSYNC = 1u << 3;
inline constexpr uint32_t FDFLAGS_SYNC = 1u << 4;
inline constexpr uint32_t FSTFLAGS_ATIM = 1u << 0;
inline constexpr uint32_t FSTFLAGS_ATIM_NOW = 1u << 1;
inline constexpr uint32_t FSTFLAGS_MTIM = 1u << 2;
inline constexpr uint32_t FSTFLAGS_MTIM_NOW = 1u << 3;
inline constexpr uint32_t LOOKUPFLAGS_SYMLINK_FOLLOW = 1u << 0;
inline constexpr uint32_t OFLAGS_CREAT = 1u << 0;
inline constexpr uint32_t OFLAGS_DIRECTORY = 1u << 1;
inline constexpr uint32_t OFLAGS_EXCL = 1u << 2;
inline constexpr uint32_t OFLAGS_TRUNC = 1u << 3;
inline constexpr uint32_t EVENTRWFLAGS_FD_READWRITE_HANGUP = 1u << 0;
inline constexpr uint32_t SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME = 1u << 0;
inline constexpr uint32_t RIFLAGS_RECV_PEEK = 1u << 0;
inline constexpr uint32_t RIFLAGS_RECV_WAITALL = 1u << 1;
inline constexpr uint32_t ROFLAGS_RECV_DATA_TRUNCATED = 1u << 0;
inline constexpr uint32_t SDFLAGS_RD = 1u << 0;
inline constexpr uint32_t SDFLAGS_WR = 1u << 1;

// Struct layouts (size; field offsets), checked against the witx's computed layouts.
inline constexpr uint32_t kFilestatSize = 64;  // dev 0, ino 8, filetype 16, nlink 24, size 32,
                                               // atim 40, mtim 48, ctim 56
inline constexpr uint32_t kFdstatSize = 24;    // filetype 0, flags 2, rights_base 8, inheriting 16
inline constexpr uint32_t kDirentSize = 24;    // d_next 0, d_ino 8, d_namlen 16, d_type 20
inline constexpr uint32_t kEventSize = 32;     // userdata 0, error 8, type 10, nbytes 16, flags 24
inline constexpr uint32_t kSubscriptionSize = 48;  // userdata 0, tag 8, union at 16: clock {id 16,
                                                   // timeout 24, precision 32, flags 40}, fd 16
inline constexpr uint32_t kPrestatSize = 8;        // tag 0, dir name_len 4
inline constexpr uint32_t kIovecSize = 8;          // buf 0, buf_len 4

}  // namespace wisp::wasi_abi
