/*
 * oj-spawn: ojd's native process spawner. ojd starts this small program once
 * and asks it, over its stdin, to start every shell child (`bash -c SCRIPT`);
 * it answers on its stdout. Children are started with posix_spawn, which glibc
 * implements with clone(CLONE_VM|CLONE_VFORK): nothing of the caller is
 * copied, so a start costs the same from any parent, unlike Node's
 * child_process, which forks (packages/daemon/src/spawner/native-spawner.ts).
 *
 * Each child:
 *   - leads a new session and process group (POSIX_SPAWN_SETSID): its pid is
 *     its process group id, and killing -pid ends everything it started;
 *   - runs in the requested working directory (addchdir_np), with exactly the
 *     requested environment, stdin on /dev/null;
 *   - has every signal at its default disposition and none blocked
 *     (POSIX_SPAWN_SETSIGDEF, POSIX_SPAWN_SETSIGMASK);
 *   - writes stdout and stderr to its log file, opened O_APPEND, or to pipes
 *     this program reads, appends to the log and relays to ojd (the run asked
 *     for its output), or to /dev/null (neither).
 * This program reaps only the children it started (waitpid on their pids).
 * Its own terminal signals are ignored (ojd decides when it ends).
 *
 * When its stdin ends (ojd stopped or died), or ojd stops reading its
 * stdout, it kills the process groups of children whose start ojd had not yet
 * acknowledged (nobody else knows of them) and exits; the others are ojd's,
 * which recorded them. With OJ_FAULT containing spawner:slow-exit it waits 3 s
 * first (the crash suite: a spawner slow to notice).
 *
 * Protocol. Every message, both ways, is one frame:
 *   u32 length (little-endian) of what follows, then: u8 type, u32 run id,
 *   then the type's fields. Integers are little-endian; a string is a u32
 *   byte length and the bytes (no NUL inside, none after).
 * Requests (stdin):
 *   'R' run      u8 flags (1: relay output), string cwd, string log file
 *                (empty: none), string script, u32 n, n strings "NAME=value"
 *   'A' acknowledged: ojd recorded the run's process group; it is ojd's now
 *   'H' hold     stop reading the run's output pipes (the child blocks when
 *                they fill) until 'L' (let go)
 *   'L' let go   read them again
 *   'K' kill     u8 signal: signal the run's process group, while the run is
 *                still this program's (started, not yet reported ended)
 * Events (stdout), per run in this order: 'S', 'O'..., 'X':
 *   'S' started  i32 pid (-1: not started), i64 the leader's start time
 *                (field 22 of /proc/PID/stat, read before it can have been
 *                reaped; -1 where unknown)
 *   'O' output   u8 stream (1 stdout, 2 stderr), the bytes as read
 *   'X' exited   i32 exit code (-1: none), i32 signal (0: none), i32 errno
 *                (0, or why it could not start), u8 what could not be done
 *                (0: nothing, it ran; 1: starting bash, in its working
 *                directory; 2: what comes before, its log file, its pipes or
 *                the request itself), then the rest: what failed,
 *                in words (empty when it ran). Sent once the child is reaped
 *                and its pipes are at end of file (its log is complete).
 * While ojd reads this program's stdout slower than children print, no
 * child's pipes are read until it catches up.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_FRAME (256u * 1024 * 1024)
#define READ_CHUNK 65536
/* Stop reading children while this much for ojd is not yet written. */
#define OUT_HIGH (1u << 20)

struct run {
  uint32_t id;
  pid_t pid;
  int fd[2];          /* stdout, stderr read ends; -1 once at end of file */
  int log;            /* log file while output is relayed, else -1 */
  int held;           /* ojd asked to hold its output */
  int acknowledged;
  int reaped;
  int status;
  struct run *next;
};

struct buf {
  unsigned char *p;
  size_t len, cap, off;
};

static struct run *runs;
static struct buf in, out;
static int wake[2] = {-1, -1};
static int stdin_open = 1;

static void die(const char *what) {
  fprintf(stderr, "oj-spawn: %s: %s\n", what, strerror(errno));
  exit(2);
}

static void reserve(struct buf *b, size_t more) {
  if (b->len + more <= b->cap) return;
  if (b->off > 0) {
    memmove(b->p, b->p + b->off, b->len - b->off);
    b->len -= b->off;
    b->off = 0;
    if (b->len + more <= b->cap) return;
  }
  size_t cap = b->cap ? b->cap : 65536;
  while (cap < b->len + more) cap *= 2;
  unsigned char *p = realloc(b->p, cap);
  if (!p) die("out of memory");
  b->p = p;
  b->cap = cap;
}

static void put(struct buf *b, const void *p, size_t n) {
  reserve(b, n);
  memcpy(b->p + b->len, p, n);
  b->len += n;
}

static void put32(struct buf *b, uint32_t v) {
  unsigned char c[4] = {v & 255, (v >> 8) & 255, (v >> 16) & 255, (v >> 24) & 255};
  put(b, c, 4);
}

static void put64(struct buf *b, int64_t v) {
  uint64_t u = (uint64_t)v;
  put32(b, (uint32_t)(u & 0xffffffffu));
  put32(b, (uint32_t)(u >> 32));
}

static size_t pending(void) { return out.len - out.off; }

/* Starts a frame of `type` for run `id` with `body` more bytes to come. */
static void frame(char type, uint32_t id, size_t body) {
  put32(&out, (uint32_t)(5 + body));
  put(&out, &type, 1);
  put32(&out, id);
}

static void send_started(uint32_t id, pid_t pid, int64_t start) {
  frame('S', id, 12);
  put32(&out, (uint32_t)pid);
  put64(&out, start);
}

enum stage { RAN = 0, STARTING_BASH = 1, BEFORE_BASH = 2 };

static void send_exited(uint32_t id, int code, int sig, int err, enum stage stage, const char *why) {
  size_t n = strlen(why);
  unsigned char st = (unsigned char)stage;
  frame('X', id, 13 + n);
  put32(&out, (uint32_t)code);
  put32(&out, (uint32_t)sig);
  put32(&out, (uint32_t)err);
  put(&out, &st, 1);
  put(&out, why, n);
}

static void send_output(uint32_t id, int stream, const char *p, size_t n) {
  unsigned char s = (unsigned char)stream;
  frame('O', id, 1 + n);
  put(&out, &s, 1);
  put(&out, p, n);
}

/* The start time of a process: field 22 of /proc/PID/stat, counted after the last ')'; -1 when unknown. */
static int64_t start_time(pid_t pid) {
  char path[64], text[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n <= 0) return -1;
  text[n] = 0;
  char *p = strrchr(text, ')');
  if (!p) return -1;
  p++;
  /* After ") ": field 3 onwards; starttime is field 22, the 20th from here. */
  for (int field = 3; field < 22; field++) {
    while (*p == ' ') p++;
    while (*p && *p != ' ') p++;
    if (!*p) return -1;
  }
  while (*p == ' ') p++;
  char *end;
  errno = 0;
  long long v = strtoll(p, &end, 10);
  if (errno || end == p) return -1;
  return v;
}

/* A pipe whose ends are closed on exec (so no child inherits another run's pipe). */
static int cloexec_pipe(int fd[2], int flags) {
#ifdef __linux__
  return pipe2(fd, O_CLOEXEC | flags);
#else
  if (pipe(fd) < 0) return -1;
  for (int i = 0; i < 2; i++) {
    fcntl(fd[i], F_SETFD, FD_CLOEXEC);
    if (flags) fcntl(fd[i], F_SETFL, fcntl(fd[i], F_GETFL) | flags);
  }
  return 0;
#endif
}

static void write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return; /* the log is a convenience here: a full disk loses output, not the run */
    p += w;
    n -= (size_t)w;
  }
}

/* mkdir -p of the directory holding `file`. */
static void make_parent_dirs(const char *file) {
  char dir[PATH_MAX];
  size_t n = strlen(file);
  if (n >= sizeof dir) return;
  memcpy(dir, file, n + 1);
  char *slash = strrchr(dir, '/');
  if (!slash || slash == dir) return;
  *slash = 0;
  for (char *p = dir + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    mkdir(dir, 0777);
    *p = '/';
  }
  mkdir(dir, 0777);
}

/* The last PATH searched and the bash found on it through an absolute entry (children mostly share one PATH). */
static char *cached_path;
static char cached_bash[PATH_MAX];

/* bash on the child's PATH (relative entries from its cwd), as execvp would find it after chdir. */
static int find_bash(char **env, const char *cwd, char *found, size_t size) {
  const char *path = "/usr/bin:/bin";
  for (char **e = env; *e; e++)
    if (strncmp(*e, "PATH=", 5) == 0) path = *e + 5;
  if (cached_path && strcmp(cached_path, path) == 0 && strlen(cached_bash) < size) {
    strcpy(found, cached_bash);
    return 0;
  }
  const char *all = path;
  while (1) {
    const char *colon = strchr(path, ':');
    size_t len = colon ? (size_t)(colon - path) : strlen(path);
    int n;
    if (len == 0) n = snprintf(found, size, "%s/bash", cwd);
    else if (path[0] == '/') n = snprintf(found, size, "%.*s/bash", (int)len, path);
    else n = snprintf(found, size, "%s/%.*s/bash", cwd, (int)len, path);
    if (n > 0 && (size_t)n < size && access(found, X_OK) == 0) {
      if (path[0] == '/' && (size_t)n < sizeof cached_bash) {
        free(cached_path);
        cached_path = strdup(all);
        strcpy(cached_bash, found);
      }
      return 0;
    }
    if (!colon) return ENOENT;
    path = colon + 1;
  }
}

/*
 * Every signal, for POSIX_SPAWN_SETSIGDEF. glibc's sigfillset leaves out the
 * two real-time signals it keeps for itself (32, 33), and its posix_spawn
 * then sets those to SIG_IGN in the child, which exec keeps: a child would
 * start with them ignored, unlike one Node or bash starts. Its spawn code
 * tests the set without that filter, so they are added to it directly.
 */
static void all_signals(sigset_t *set) {
  sigfillset(set);
#if defined(__GLIBC__) && defined(__linux__)
  for (int sig = 32; sig <= 33; sig++) {
    const size_t bits = 8 * sizeof set->__val[0];
    set->__val[(sig - 1) / bits] |= 1UL << ((sig - 1) % bits);
  }
#endif
}

static struct run *find(uint32_t id) {
  for (struct run *r = runs; r; r = r->next)
    if (r->id == id) return r;
  return NULL;
}

static void fail(uint32_t id, int err, enum stage stage, const char *what) {
  char why[512];
  snprintf(why, sizeof why, "%s: %s", what, strerror(err));
  send_started(id, -1, -1);
  send_exited(id, -1, 0, err, stage, why);
}

/* A cursor over a request's fields. */
struct cur {
  const unsigned char *p, *end;
  int bad;
};

static uint32_t get32(struct cur *c) {
  if (c->end - c->p < 4) {
    c->bad = 1;
    return 0;
  }
  uint32_t v = c->p[0] | (c->p[1] << 8) | (c->p[2] << 16) | ((uint32_t)c->p[3] << 24);
  c->p += 4;
  return v;
}

/* A string field, copied and NUL-terminated; NULL (and bad) when malformed or holding a NUL. */
static char *getstr(struct cur *c) {
  uint32_t n = get32(c);
  if (c->bad || (size_t)(c->end - c->p) < n || memchr(c->p, 0, n)) {
    c->bad = 1;
    return NULL;
  }
  char *s = malloc(n + 1);
  if (!s) die("out of memory");
  memcpy(s, c->p, n);
  s[n] = 0;
  c->p += n;
  return s;
}

static void start_run(uint32_t id, struct cur *c) {
  if (c->end - c->p < 1) {
    fail(id, EINVAL, BEFORE_BASH, "malformed run request");
    return;
  }
  int relay = *c->p++ & 1;
  char *cwd = getstr(c), *log = getstr(c), *script = getstr(c);
  uint32_t nenv = get32(c);
  char **env = NULL;
  if (!c->bad && nenv <= (size_t)(c->end - c->p) / 4) {
    env = calloc(nenv + 1, sizeof *env);
    if (!env) die("out of memory");
    for (uint32_t i = 0; i < nenv && !c->bad; i++) env[i] = getstr(c);
  } else c->bad = 1;
  int logfd = -1, po[2] = {-1, -1}, pe[2] = {-1, -1};
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  int actions = 0;
  char bash[PATH_MAX];
  if (c->bad) {
    fail(id, EINVAL, BEFORE_BASH, "malformed run request (or a NUL byte in it)");
    goto done;
  }
  if (log[0]) {
    const int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC;
    logfd = open(log, flags, 0666);
    if (logfd < 0 && errno == ENOENT) { /* its directory is new */
      make_parent_dirs(log);
      logfd = open(log, flags, 0666);
    }
    if (logfd < 0) {
      fail(id, errno, BEFORE_BASH, "could not open the log file");
      goto done;
    }
  }
  if (relay && (cloexec_pipe(po, 0) < 0 || cloexec_pipe(pe, 0) < 0)) {
    fail(id, errno, BEFORE_BASH, "could not make pipes");
    goto done;
  }
  int err = find_bash(env, cwd, bash, sizeof bash);
  if (err) {
    fail(id, err, STARTING_BASH, "bash was not found on the PATH");
    goto done;
  }
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  actions = 1;
  posix_spawn_file_actions_addchdir_np(&fa, cwd);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  if (relay) {
    posix_spawn_file_actions_adddup2(&fa, po[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
  } else if (logfd >= 0) {
    posix_spawn_file_actions_adddup2(&fa, logfd, 1);
    posix_spawn_file_actions_adddup2(&fa, logfd, 2);
  } else {
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
  }
  sigset_t none, all;
  sigemptyset(&none);
  all_signals(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  char *argv[] = {"bash", "-c", script, NULL};
  pid_t pid;
  err = posix_spawn(&pid, bash, &fa, &attr, argv, env);
  if (err == ENOENT || err == EACCES) {
    free(cached_path); /* bash may have moved: search again next time */
    cached_path = NULL;
  }
  if (err) {
    fail(id, err, STARTING_BASH, "could not start bash");
    goto done;
  }
  /* Before anything else: it cannot have been reaped yet, so /proc has it. */
  send_started(id, pid, start_time(pid));
  struct run *r = calloc(1, sizeof *r);
  if (!r) die("out of memory");
  r->id = id;
  r->pid = pid;
  r->fd[0] = po[0];
  r->fd[1] = pe[0];
  r->log = -1;
  po[0] = pe[0] = -1;
  if (relay) {
    fcntl(r->fd[0], F_SETFL, O_NONBLOCK);
    fcntl(r->fd[1], F_SETFL, O_NONBLOCK);
    r->log = logfd;
    logfd = -1;
  }
  r->next = runs;
  runs = r;
done:
  if (actions) {
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
  }
  for (int i = 0; i < 2; i++) {
    if (po[i] >= 0) close(po[i]);
    if (pe[i] >= 0) close(pe[i]);
  }
  if (logfd >= 0) close(logfd);
  if (env)
    for (uint32_t i = 0; i < nenv; i++) free(env[i]);
  free(env);
  free(cwd);
  free(log);
  free(script);
}

static void request(const unsigned char *p, uint32_t n) {
  struct cur c = {p, p + n, 0};
  if (n < 5) {
    fprintf(stderr, "oj-spawn: ignored a request too short to read\n");
    return;
  }
  char type = (char)*c.p++;
  uint32_t id = get32(&c);
  struct run *r = find(id);
  switch (type) {
    case 'R':
      if (r) fprintf(stderr, "oj-spawn: ignored a second run %u\n", id);
      else start_run(id, &c);
      break;
    case 'A':
      if (r) r->acknowledged = 1;
      break;
    case 'H':
    case 'L':
      if (r) r->held = type == 'H';
      break;
    case 'K':
      if (r && c.p < c.end && r->pid > 0) kill(-r->pid, *c.p);
      break;
    default:
      fprintf(stderr, "oj-spawn: ignored a request of unknown type %d\n", type);
  }
}

/* ojd is gone: end what only this program knew of, then exit. */
static void quit(void) {
  const char *fault = getenv("OJ_FAULT");
  if (fault && strstr(fault, "spawner:slow-exit")) {
    struct timespec ts = {3, 0};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
  }
  /* A group whose leader we have not reaped, or that still has members, keeps its id: it is ours. */
  for (struct run *r = runs; r; r = r->next)
    if (!r->acknowledged && r->pid > 0) kill(-r->pid, SIGKILL);
  exit(0);
}

static void on_child(int sig) {
  (void)sig;
  int e = errno;
  ssize_t ignored = write(wake[1], "", 1);
  (void)ignored;
  errno = e;
}

static void read_requests(void) {
  reserve(&in, READ_CHUNK);
  ssize_t n = read(0, in.p + in.len, in.cap - in.len);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    stdin_open = 0;
    return;
  }
  in.len += (size_t)n;
  while (in.len - in.off >= 4) {
    const unsigned char *h = in.p + in.off;
    uint32_t len = h[0] | (h[1] << 8) | (h[2] << 16) | ((uint32_t)h[3] << 24);
    if (len > MAX_FRAME) {
      fprintf(stderr, "oj-spawn: a request of %u bytes: not ojd's; stopping\n", len);
      quit();
    }
    if (in.len - in.off - 4 < len) {
      reserve(&in, 4 + len - (in.len - in.off)); /* room for the rest of it */
      break;
    }
    in.off += 4 + len;
    request(h + 4, len);
  }
  if (in.off == in.len) in.off = in.len = 0;
}

static void flush(void) {
  while (pending() > 0) {
    ssize_t w = write(1, out.p + out.off, pending());
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) return;
    if (w <= 0) quit(); /* ojd is gone */
    out.off += (size_t)w;
  }
  out.off = out.len = 0;
}

/* Reads what one of a run's pipes holds (a chunk at a time). */
static void drain(struct run *r, int s) {
  char chunk[READ_CHUNK];
  ssize_t n = read(r->fd[s], chunk, sizeof chunk);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    close(r->fd[s]);
    r->fd[s] = -1;
    return;
  }
  if (r->log >= 0) write_all(r->log, chunk, (size_t)n);
  send_output(r->id, s + 1, chunk, (size_t)n);
}

/* Reaps the children that have ended (only ours, by pid) and reports the runs that are over. */
static void settle(void) {
  struct run **link = &runs;
  while (*link) {
    struct run *r = *link;
    if (!r->reaped) {
      pid_t got;
      do got = waitpid(r->pid, &r->status, WNOHANG);
      while (got < 0 && errno == EINTR);
      if (got == r->pid) r->reaped = 1;
    }
    if (!r->reaped || r->fd[0] >= 0 || r->fd[1] >= 0) {
      link = &r->next;
      continue;
    }
    int code = WIFEXITED(r->status) ? WEXITSTATUS(r->status) : -1;
    int sig = WIFSIGNALED(r->status) ? WTERMSIG(r->status) : 0;
    if (r->log >= 0) close(r->log);
    send_exited(r->id, code, sig, 0, RAN, "");
    *link = r->next;
    free(r);
  }
}

int main(void) {
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  /* Descriptors ojd's own parent let it inherit are not for the children: only 0, 1, 2 pass. */
#if defined(CLOSE_RANGE_CLOEXEC) /* glibc 2.34 and later, with _GNU_SOURCE */
  if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
#endif
  {
    long max = sysconf(_SC_OPEN_MAX);
    for (int fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  if (cloexec_pipe(wake, O_NONBLOCK) < 0) die("pipe");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_child;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGCHLD, &sa, NULL) < 0) die("sigaction");
  fcntl(0, F_SETFD, FD_CLOEXEC);
  fcntl(1, F_SETFD, FD_CLOEXEC);
  fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK);
  struct pollfd *fds = NULL;
  struct run **owner = NULL;
  int *stream = NULL;
  size_t cap = 0;
  while (1) {
    if (!stdin_open) quit();
    size_t nruns = 0;
    for (struct run *r = runs; r; r = r->next) nruns++;
    if (cap < 3 + 2 * nruns) {
      cap = 3 + 2 * nruns + 16;
      fds = realloc(fds, cap * sizeof *fds);
      owner = realloc(owner, cap * sizeof *owner);
      stream = realloc(stream, cap * sizeof *stream);
      if (!fds || !owner || !stream) die("out of memory");
    }
    size_t n = 0;
    fds[n++] = (struct pollfd){0, POLLIN, 0};
    fds[n++] = (struct pollfd){wake[0], POLLIN, 0};
    fds[n++] = (struct pollfd){1, pending() ? POLLOUT : 0, 0};
    if (pending() < OUT_HIGH) {
      for (struct run *r = runs; r; r = r->next) {
        if (r->held) continue;
        for (int s = 0; s < 2; s++) {
          if (r->fd[s] < 0) continue;
          owner[n] = r;
          stream[n] = s;
          fds[n++] = (struct pollfd){r->fd[s], POLLIN, 0};
        }
      }
    }
    if (poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (fds[1].revents) {
      char drop[256];
      while (read(wake[0], drop, sizeof drop) > 0) {}
    }
    for (size_t i = 3; i < n; i++)
      if (fds[i].revents) drain(owner[i], stream[i]);
    settle();
    if (fds[0].revents) read_requests();
    if (fds[2].revents & (POLLERR | POLLHUP)) quit();
    flush();
  }
}
