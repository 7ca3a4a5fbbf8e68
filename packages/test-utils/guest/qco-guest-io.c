/*
 * A guest-side I/O tool for the vhost-user-blk tests, built at test time with
 * gcc -static and put in the initramfs. Linux native AIO through raw syscalls
 * (no libaio in the guest), O_DIRECT throughout, results on stdout as
 * "@@qco <name> <value>" lines.
 *
 *   randread DEV COUNT DEPTH SEED SPAN   4 KiB reads at random 4 KiB offsets below SPAN bytes, DEPTH in flight
 *   seqread DEV BYTES BS                 sequential reads of BS bytes
 *   seqwrite DEV BYTES BS BYTE           sequential writes of BS bytes filled with BYTE
 *   zeroout DEV OFFSET LEN               BLKZEROOUT (the device's WRITE_ZEROES)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

static int die(const char *what) {
  printf("@@qco error %s\n", what);
  return 1;
}

static int randread(const char *dev, long count, int depth, uint64_t seed, uint64_t span) {
  int fd = open(dev, O_RDONLY | O_DIRECT);
  if (fd < 0) return die("open");
  aio_context_t ctx = 0;
  if (syscall(SYS_io_setup, depth, &ctx) < 0) return die("io_setup");
  uint8_t *buf;
  if (posix_memalign((void **)&buf, 4096, (size_t)depth * 4096)) return die("memalign");
  struct iocb *cbs = calloc((size_t)depth, sizeof *cbs);
  uint64_t *offs = calloc((size_t)depth, sizeof *offs);
  struct io_event ev[64];
  uint64_t blocks = span / 4096, x = seed ? seed : 1, sum = 0;
  long issued = 0, done = 0;
  uint64_t t0 = now_us();
  for (int i = 0; i < depth && issued < count; i++, issued++) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    offs[i] = ((x >> 33) % blocks) * 4096;
    memset(&cbs[i], 0, sizeof cbs[i]);
    cbs[i].aio_fildes = (uint32_t)fd;
    cbs[i].aio_lio_opcode = IOCB_CMD_PREAD;
    cbs[i].aio_buf = (uint64_t)(uintptr_t)(buf + (size_t)i * 4096);
    cbs[i].aio_nbytes = 4096;
    cbs[i].aio_offset = (int64_t)offs[i];
    cbs[i].aio_data = (uint64_t)i;
    struct iocb *p = &cbs[i];
    if (syscall(SYS_io_submit, ctx, 1, &p) != 1) return die("io_submit");
  }
  struct iocb **batch = calloc((size_t)depth, sizeof *batch);
  while (done < count) {
    long n = syscall(SYS_io_getevents, ctx, 1, 64, ev, NULL);
    if (n < 0) return die("io_getevents");
    int nb = 0;
    for (long k = 0; k < n; k++) {
      int i = (int)ev[k].data;
      if (ev[k].res != 4096) return die("short read");
      /* order-independent: sum of per-block hashes */
      sum += fnv(offs[i] * 31 + 7, buf + (size_t)i * 4096, 4096);
      done++;
      if (issued < count) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        offs[i] = ((x >> 33) % blocks) * 4096;
        cbs[i].aio_offset = (int64_t)offs[i];
        batch[nb++] = &cbs[i];
        issued++;
      }
    }
    /* refill everything that completed with one io_submit, as fio does at iodepth_batch */
    if (nb > 0 && syscall(SYS_io_submit, ctx, nb, batch) != nb) return die("io_submit");
  }
  uint64_t t = now_us() - t0;
  printf("@@qco randread_us %llu\n@@qco randread_sum %016llx\n", (unsigned long long)t, (unsigned long long)sum);
  return 0;
}

static int seq(const char *dev, int write, uint64_t bytes, size_t bs, int byte) {
  int fd = open(dev, (write ? O_WRONLY : O_RDONLY) | O_DIRECT);
  if (fd < 0) return die("open");
  uint8_t *buf;
  if (posix_memalign((void **)&buf, 4096, bs)) return die("memalign");
  memset(buf, byte, bs);
  uint64_t h = 14695981039346656037ull;
  uint64_t t0 = now_us();
  for (uint64_t at = 0; at < bytes; at += bs) {
    ssize_t n = write ? pwrite(fd, buf, bs, (off_t)at) : pread(fd, buf, bs, (off_t)at);
    if (n != (ssize_t)bs) return die(write ? "pwrite" : "pread");
    if (!write) h = fnv(h, buf, bs);
  }
  if (write && fdatasync(fd) != 0) return die("fdatasync");
  uint64_t t = now_us() - t0;
  printf("@@qco %s_us %llu\n", write ? "seqwrite" : "seqread", (unsigned long long)t);
  if (!write) printf("@@qco seqread_sum %016llx\n", (unsigned long long)h);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 7 && strcmp(argv[1], "randread") == 0) return randread(argv[2], atol(argv[3]), atoi(argv[4]), strtoull(argv[5], NULL, 0), strtoull(argv[6], NULL, 0));
  if (argc >= 5 && strcmp(argv[1], "seqread") == 0) return seq(argv[2], 0, strtoull(argv[3], NULL, 0), (size_t)atol(argv[4]), 0);
  if (argc >= 6 && strcmp(argv[1], "seqwrite") == 0) return seq(argv[2], 1, strtoull(argv[3], NULL, 0), (size_t)atol(argv[4]), atoi(argv[5]));
  if (argc >= 5 && strcmp(argv[1], "zeroout") == 0) {
    int fd = open(argv[2], O_WRONLY);
    uint64_t r[2] = {strtoull(argv[3], NULL, 0), strtoull(argv[4], NULL, 0)};
    if (fd < 0) return die("open");
    if (ioctl(fd, BLKZEROOUT, r) != 0) return die("BLKZEROOUT");
    printf("@@qco zeroout ok\n");
    return 0;
  }
  fprintf(stderr, "usage: qco-guest-io randread|seqread|seqwrite|zeroout ...\n");
  return 2;
}
