/*
 * A streaming hex decoder over a pipe, as a qco C function: it parses hex text
 * ("48 65 6c 6c 6f", any whitespace between byte pairs, '#' comments to the end
 * of the line) from a non-blocking fd into the caller's buffer. The parser reads
 * one character at a time through a small refill buffer; when the pipe is empty
 * the innermost call (refill) waits with qco_wait_fd, so the whole parse is
 * suspended from inside several nested C frames and the JavaScript coroutine
 * that called it yields to the event loop meanwhile. The same file builds as a
 * Node addon (native-ucontext, sigaltstack) and into the asyncify module.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <qco.h>

typedef struct Reader {
  int fd;
  unsigned char buf[64];
  int len, pos;
  int eof;
  int error;   /* negative errno */
  long waits;  /* how often the parse was suspended */
} Reader;

static long last_waits;
static int last_error; /* negative errno of the last decode, 0 when it succeeded */

static int refill(Reader *r) {
  for (;;) {
    ssize_t got = read(r->fd, r->buf, sizeof r->buf);
    if (got > 0) {
      r->len = (int)got;
      r->pos = 0;
      return 1;
    }
    if (got == 0) {
      r->eof = 1;
      return 0;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      r->waits++;
      double w = qco_wait_fd(r->fd, QCO_FD_READ); /* the coroutine is suspended here */
      if (w < 0) {
        r->error = (int)w;
        return 0;
      }
    } else if (errno != EINTR) {
      r->error = -errno;
      return 0;
    }
  }
}

/* The next character, or -1 at end of input or on error. */
static int next_char(Reader *r) {
  if (r->pos == r->len && !refill(r)) return -1;
  return r->buf[r->pos++];
}

/* The next character that is not whitespace or inside a comment. */
static int next_significant(Reader *r) {
  for (;;) {
    int c = next_char(r);
    if (c == '#') {
      while (c != '\n' && c != -1) c = next_char(r);
    }
    if (c != ' ' && c != '\n' && c != '\t' && c != '\r') return c;
  }
}

static int digit_value(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* One byte from two hex digits: 0..255, -1 at a clean end of input, or a negative errno. */
static int read_byte(Reader *r) {
  int hi = next_significant(r);
  if (hi == -1) return r->error ? r->error : -1;
  int lo = next_char(r);
  if (lo == -1) return r->error ? r->error : -EINVAL; /* half a byte at the end */
  int h = digit_value(hi), l = digit_value(lo);
  if (h < 0 || l < 0) return -EINVAL;
  return h * 16 + l;
}

/* hex_decode_stream(fd, out): bytes decoded into out until EOF; -EINVAL on bad input, -ENOSPC when out is full. */
static double hex_decode_stream(const QcoArg *args, int nargs) {
  last_waits = 0;
  if (nargs < 2 || (args[1].bytes == NULL && args[1].length != 0)) return last_error = -EINVAL;
  Reader r = {.fd = (int)args[0].number};
  int flags = fcntl(r.fd, F_GETFL);
  if (flags < 0 || fcntl(r.fd, F_SETFL, flags | O_NONBLOCK) < 0) return last_error = -errno;
  size_t n = 0;
  int result = 0;
  for (;;) {
    int b = read_byte(&r);
    if (b == -1) break;
    if (b < 0) {
      result = b;
      break;
    }
    if (n == args[1].length) {
      result = -ENOSPC;
      break;
    }
    args[1].bytes[n++] = (uint8_t)b;
  }
  last_waits = r.waits;
  last_error = result;
  return result < 0 ? result : (double)n;
}

/* decoder_waits(): how often the last decode was suspended waiting for input. */
static double decoder_waits(const QcoArg *args, int nargs) {
  (void)args;
  (void)nargs;
  return (double)last_waits;
}

/* decoder_error(text): the C library's message for the last decode's error into text (errno numbers differ
 * between Linux and WASI, the messages do not); returns its length, 0 after a success. */
static double decoder_error(const QcoArg *args, int nargs) {
  if (nargs < 1 || args[0].bytes == NULL || last_error == 0) return 0;
  const char *msg = strerror(-last_error);
  size_t len = strlen(msg);
  if (len > args[0].length) len = args[0].length;
  memcpy(args[0].bytes, msg, len);
  return (double)len;
}

static void register_functions(void) {
  qco_register_function("hex_decode_stream", hex_decode_stream);
  qco_register_function("decoder_waits", decoder_waits);
  qco_register_function("decoder_error", decoder_error);
}

QCO_MAIN(register_functions)
