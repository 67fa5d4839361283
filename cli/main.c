/* main.c - the style-transfer command: the engine on the command line.
 *
 *   style-transfer CONTENT STYLE [STYLE2 ...] -o OUT.png [options]
 *
 * Reads PNG/JPEG/SVG/... through gdk-pixbuf, writes PNG.  Exit status 0 on
 * success (progress, then the output's name, on stdout), 1 with a one-line
 * message on stderr otherwise (escaped and bounded: nothing a file or an
 * argument holds can break the line or reach the terminal as a control
 * sequence).  On failure nothing is written: the PNG goes to a temporary
 * file created exclusively beside the output and renamed over it at the
 * end; an output that is not a regular file is refused. */
#include "style-transfer.h"
#include "image-check.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct
{
  gboolean quiet;
  gboolean tty;
  gint64 last_draw;
} Cli;

/* ---------------------------------------------------------- messages */

/* Longest message printed, in bytes: a hostile file name or tensor name
 * must not become a 100 MB line. */
#define MESSAGE_MAX 480

/* text as one printable line: control characters (C0, DEL, C1, line and
 * paragraph separators) and invalid UTF-8 are escaped, and the length is
 * bounded by keeping the start and the end (which says what went wrong). */
static char *
one_line (const char *text)
{
  GString *out = g_string_new (NULL);
  /* libraries end some messages with a line break: not part of them */
  char *copy = g_strstrip (g_strdup (text ? text : "failed"));
  const char *p = copy;

  while (*p)
    {
      gunichar c = g_utf8_get_char_validated (p, -1);

      if (c == (gunichar)-1 || c == (gunichar)-2)
        {
          g_string_append_printf (out, "\\x%02x", (guchar)*p);
          p++;
          continue;
        }
      if (c == '\n')
        g_string_append (out, "\\n");
      else if (c == '\r')
        g_string_append (out, "\\r");
      else if (c == '\t')
        g_string_append (out, "\\t");
      else if (c == 0x1b)
        g_string_append (out, "\\e");
      else if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))
        g_string_append_printf (out, "\\x%02x", c);
      else if (c == 0x2028 || c == 0x2029 || c == 0x200e || c == 0x200f
               || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))
        g_string_append_printf (out, "\\u%04x", c); /* breaks, bidi */
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
      p = g_utf8_next_char (p);
    }
  g_free (copy);
  if (out->len > MESSAGE_MAX)
    {
      /* keep 3/4 from the start and 1/4 from the end, on character
       * boundaries (the text is valid UTF-8 now) */
      const char *head_end = out->str + MESSAGE_MAX * 3 / 4;
      const char *tail = out->str + out->len - MESSAGE_MAX / 4;
      char *bounded;

      while ((*head_end & 0xc0) == 0x80)
        head_end--;
      while ((*tail & 0xc0) == 0x80)
        tail++;
      bounded = g_strdup_printf ("%.*s … %s", (int)(head_end - out->str),
                                 out->str, tail);
      g_string_free (out, TRUE);
      return bounded;
    }
  return g_string_free (out, FALSE);
}

/* GLib and gdk-pixbuf warnings would add lines to stderr; the failure
 * they lead to is reported, as its one line.  STYLE_TRANSFER_DEBUG=1
 * shows them. */
static GLogWriterOutput
quiet_log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                  gpointer data)
{
  (void)data;
  if (g_getenv ("STYLE_TRANSFER_DEBUG"))
    return g_log_writer_default (level, fields, n_fields, NULL);
  return G_LOG_WRITER_HANDLED;
}

/* ------------------------------------------------------------ output */

/* The result is written to a temporary file beside the output, created
 * exclusively (O_EXCL, O_NOFOLLOW, a random name: no symlink or file
 * planted there is followed or reused), at the start of the run so that
 * an output that cannot be written is known before minutes of work; it is
 * renamed over the output at the end.  On any failure, and on every signal
 * whose default action ends the process, it is removed: nothing is left
 * behind.
 *
 * The temporary is made, renamed and removed through a descriptor of the
 * output's folder (openat, renameat, unlinkat), so that a folder renamed
 * during the run still loses its temporary, and the rename is refused
 * when the output's path no longer leads to that folder.  An output that
 * is a symbolic link is written through: the temporary goes beside the
 * link's final target and replaces the target; the link stays. */
typedef struct
{
  char *path;   /* as given, for messages */
  char *target; /* path, or the final target of the link it is */
  char *dir;    /* the target's folder, as a path */
  char *name;   /* the target's name in dir */
  char *tmp;    /* the temporary's name in dir */
  int dir_fd;
  int fd;
} Output;

/* What the signal handler needs, set before it can run. */
static volatile int signal_dir_fd = -1;
static char signal_tmp_name[64]; /* "" when there is nothing to remove */
static volatile sig_atomic_t signal_tmp_set;
static volatile sig_atomic_t bar_drawn; /* a progress bar to erase */
static mode_t creation_mask;

/* One message per signal, written before any signal is caught (the
 * handler may only call async-signal-safe functions). */
static char signal_message[NSIG][96];

static void
on_signal (int sig)
{
  static const char erase[] = "\r\033[K";
  ssize_t ignored;
  int saved = errno;

  if (signal_tmp_set && signal_dir_fd >= 0)
    unlinkat (signal_dir_fd, signal_tmp_name, 0);
  signal_tmp_set = 0;
  if (bar_drawn)
    ignored = write (STDOUT_FILENO, erase, sizeof erase - 1);
  if (sig > 0 && sig < NSIG)
    ignored = write (STDERR_FILENO, signal_message[sig],
                     strlen (signal_message[sig]));
  (void)ignored;
  /* die of the signal, as shells expect: delivered when the handler
   * returns (a fault signal is raised again by the faulting instruction,
   * now with the default action) */
  {
    struct sigaction dfl;
    memset (&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction (sig, &dfl, NULL);
  }
  raise (sig);
  errno = saved;
}

/* Every signal whose default action ends the process (man 7 signal: Term
 * and Core), but SIGKILL and SIGSTOP, which cannot be caught, and the two
 * that are ignored below. */
static const int fatal_signals[] = {
  SIGHUP,
  SIGINT,
  SIGQUIT,
  SIGTERM,
  SIGUSR1,
  SIGUSR2,
  SIGALRM,
  SIGVTALRM,
  SIGPROF,
  SIGXCPU,
  SIGABRT,
  SIGTRAP,
  SIGSYS,
#ifdef SIGPOLL
  SIGPOLL,
#endif
#ifdef SIGPWR
  SIGPWR,
#endif
#ifdef SIGSTKFLT
  SIGSTKFLT,
#endif
  /* faults: the temporary goes too, unless a tool (a sanitizer,
   * valgrind) already handles them */
  SIGSEGV,
  SIGBUS,
  SIGFPE,
  SIGILL,
};

static gboolean
is_fault (int sig)
{
  return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL;
}

static void
catch_signals (void)
{
  struct sigaction sa, old;
  int rt;

  for (int sig = 1; sig < NSIG; sig++)
    {
      const char *abbrev = sigabbrev_np (sig);
      g_snprintf (signal_message[sig], sizeof signal_message[sig],
                  "style-transfer: interrupted by a signal (%s%s); nothing "
                  "was written\n",
                  abbrev ? "SIG" : "signal ", abbrev ? abbrev : "");
      if (!abbrev)
        g_snprintf (signal_message[sig], sizeof signal_message[sig],
                    "style-transfer: interrupted by a signal (%d); nothing "
                    "was written\n",
                    sig);
    }
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigfillset (&sa.sa_mask); /* one handler at a time */
  for (gsize i = 0; i < G_N_ELEMENTS (fatal_signals); i++)
    {
      int sig = fatal_signals[i];
      if (is_fault (sig) && sigaction (sig, NULL, &old) == 0
          && old.sa_handler != SIG_DFL)
        continue;
      sigaction (sig, &sa, NULL);
    }
  /* the real-time signals the C library leaves to programs end the
   * process by default too */
  for (rt = SIGRTMIN; rt <= SIGRTMAX; rt++)
    sigaction (rt, &sa, NULL);
  /* These two kill by default, leaving the temporary file: a closed pipe
   * on stdout (progress is then lost, the result still written) and a
   * file-size limit (ulimit -f: the write fails with EFBIG, said in one
   * line). */
  sa.sa_handler = SIG_IGN;
  sigaction (SIGPIPE, &sa, NULL);
  sigaction (SIGXFSZ, &sa, NULL);
}

/* Descriptors 0, 1 and 2 closed by the caller (">&-") would be given to
 * the first files opened here, and the progress text written into the
 * result: each closed one is opened on /dev/null first. */
static void
guard_standard_descriptors (void)
{
  for (int fd = 0; fd <= 2; fd++)
    if (fcntl (fd, F_GETFD) < 0 && errno == EBADF)
      {
        int n = open ("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
        if (n < 0)
          _exit (1); /* nowhere to say why, and nothing written */
        if (n != fd)
          {
            dup2 (n, fd);
            close (n);
          }
      }
}

/* Reading images loads decoder modules (dlopen), each a descriptor for a
 * moment; under "ulimit -n 5" gdk-pixbuf then said "Unrecognized image
 * file format".  Measured: a PNG or JPEG run needs 7; this leaves room
 * for other decoders. */
#define DESCRIPTORS_NEEDED 20

static gboolean
enough_descriptors (GError **error)
{
  struct rlimit r;

  if (getrlimit (RLIMIT_NOFILE, &r) != 0 || r.rlim_cur == RLIM_INFINITY
      || r.rlim_cur >= DESCRIPTORS_NEEDED)
    return TRUE;
  if (r.rlim_max == RLIM_INFINITY || r.rlim_max >= DESCRIPTORS_NEEDED)
    {
      r.rlim_cur = DESCRIPTORS_NEEDED;
      if (setrlimit (RLIMIT_NOFILE, &r) == 0)
        return TRUE;
    }
  g_set_error (error, ST_ERROR, ST_ERROR_IO,
               "only %llu open files are allowed (ulimit -n); reading the "
               "images needs at least %d: raise the limit",
               (unsigned long long)r.rlim_cur, DESCRIPTORS_NEEDED);
  return FALSE;
}

static gboolean
output_error (GError **error, const char *path, int err, const char *why)
{
  char *shown = g_filename_display_name (path);

  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (err),
               "cannot write %s: %s", shown, why ? why : g_strerror (err));
  g_free (shown);
  return FALSE;
}

/* The final target of path when it is a symbolic link (a chain of them is
 * followed, relative targets from their link's folder), else path.  The
 * target need not exist: a link to a new file creates it.  NULL with errno
 * ELOOP for a loop. */
static char *
link_target (const char *path)
{
  char *p = g_strdup (path);

  for (int hops = 0; hops < 40; hops++)
    {
      GStatBuf st;
      char *to, *dir;

      if (g_lstat (p, &st) != 0 || !S_ISLNK (st.st_mode))
        return p;
      if (!(to = g_file_read_link (p, NULL)))
        return p;
      if (g_path_is_absolute (to))
        {
          g_free (p);
          p = to;
          continue;
        }
      dir = g_path_get_dirname (p);
      g_free (p);
      p = g_build_filename (dir, to, NULL);
      g_free (dir);
      g_free (to);
    }
  g_free (p);
  errno = ELOOP;
  return NULL;
}

/* Refuses an output that is one of the inputs, by any path (the same file
 * system and inode: "./x", a symlink, a hard link): it would be replaced
 * by the result. */
static gboolean
output_is_not_input (const char *output, char **inputs, int n_inputs,
                     const char *network, GError **error)
{
  GStatBuf out, in;

  if (g_stat (output, &out) != 0)
    return TRUE; /* a new file is no input */
  for (int j = 0; j <= n_inputs; j++)
    {
      const char *input = j < n_inputs ? inputs[j] : network;
      if (input && g_stat (input, &in) == 0 && in.st_dev == out.st_dev
          && in.st_ino == out.st_ino)
        {
          char *shown = g_filename_display_name (input);
          char *why = g_strdup_printf (
              "it is the same file as the %s %s; choose another name",
              j == 0         ? "content image"
              : j < n_inputs ? "style image"
                             : "network file",
              shown);
          output_error (error, output, EEXIST, why);
          g_free (why);
          g_free (shown);
          return FALSE;
        }
    }
  return TRUE;
}

/* A new temporary name in o->dir_fd: O_EXCL, so nothing there is reused. */
static int
make_temporary (Output *o)
{
  static const char chars[]
      = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

  for (int attempt = 0; attempt < 100; attempt++)
    {
      char name[sizeof signal_tmp_name];
      char tail[7];
      int fd;

      for (int i = 0; i < 6; i++)
        tail[i] = chars[g_random_int_range (0, sizeof chars - 1)];
      tail[6] = '\0';
      g_snprintf (name, sizeof name, ".style-transfer-%s.tmp", tail);
      fd = openat (o->dir_fd, name,
                   O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd >= 0)
        {
          sigset_t all, old;
          o->tmp = g_strdup (name);
          sigfillset (&all);
          pthread_sigmask (SIG_BLOCK, &all, &old);
          memcpy (signal_tmp_name, name, sizeof name);
          signal_dir_fd = o->dir_fd;
          signal_tmp_set = 1;
          pthread_sigmask (SIG_SETMASK, &old, NULL);
          return fd;
        }
      if (errno != EEXIST)
        return -1;
    }
  return -1;
}

/* Checks the output and creates its temporary file. */
static gboolean
output_open (Output *o, const char *path, GError **error)
{
  GStatBuf st;
  long name_max;

  memset (o, 0, sizeof *o);
  o->path = g_strdup (path);
  o->dir_fd = o->fd = -1;
  if (!*path)
    return output_error (error, path, ENOENT, "the file name is empty");
  if (!(o->target = link_target (path)))
    return output_error (error, path, errno, NULL);
  if (g_stat (o->target, &st) == 0)
    {
      if (S_ISDIR (st.st_mode))
        return output_error (error, path, EISDIR, NULL);
      if (!S_ISREG (st.st_mode))
        return output_error (error, path, EINVAL,
                             "it is not a regular file (a device, FIFO or "
                             "socket); give the name of a PNG file");
    }
  else if (errno != ENOENT)
    return output_error (error, path, errno, NULL);
  o->dir = g_path_get_dirname (o->target);
  o->name = g_path_get_basename (o->target);
  /* the kernel's lookup checks 255; a file system may allow fewer */
  errno = 0;
  name_max = pathconf (o->dir, _PC_NAME_MAX);
  if ((name_max > 0 && strlen (o->name) > (size_t)name_max)
      || strlen (o->target) >= PATH_MAX)
    return output_error (error, path, ENAMETOOLONG, NULL);
  o->dir_fd = open (o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (o->dir_fd < 0 || (o->fd = make_temporary (o)) < 0)
    return output_error (error, path, errno, NULL);
  return TRUE;
}

/* Removes the temporary file; the output was never touched. */
static void
output_abandon (Output *o)
{
  sigset_t all, old;

  sigfillset (&all);
  pthread_sigmask (SIG_BLOCK, &all, &old);
  signal_tmp_set = 0;
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  if (o->tmp && o->dir_fd >= 0)
    unlinkat (o->dir_fd, o->tmp, 0);
  if (o->fd >= 0)
    close (o->fd);
  if (o->dir_fd >= 0)
    close (o->dir_fd);
  signal_dir_fd = -1;
  g_free (o->tmp);
  g_free (o->path);
  g_free (o->target);
  g_free (o->dir);
  g_free (o->name);
  memset (o, 0, sizeof *o);
  o->fd = o->dir_fd = -1;
}

typedef struct
{
  int fd;
  int raise_signal; /* test hook: STYLE_TRANSFER_TEST_SIGNAL_IN_SAVE */
  int err;
} Writer;

static gboolean
write_chunk (const gchar *buf, gsize count, GError **error, gpointer data)
{
  Writer *w = data;

  while (count > 0)
    {
      ssize_t n = write (w->fd, buf, count);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          w->err = errno;
          g_set_error_literal (error, G_FILE_ERROR,
                               g_file_error_from_errno (errno),
                               g_strerror (errno));
          return FALSE;
        }
      buf += n;
      count -= (gsize)n;
    }
  /* A deterministic "signal arrives during the save", for the tests. */
  if (w->raise_signal > 0)
    raise (w->raise_signal);
  return TRUE;
}

static gboolean
save_png (const StImage *image, Output *o, GError **error)
{
  int w = image->width, h = image->height;
  GdkPixbuf *pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, w, h);
  Writer writer = { o->fd, 0, 0 };
  const char *hook = g_getenv ("STYLE_TRANSFER_TEST_SIGNAL_IN_SAVE");
  GError *local = NULL;
  GStatBuf st, dir_now;
  struct stat dir_then;
  sigset_t all, old;
  gboolean ok;

  if (!pb)
    {
      g_set_error (error, ST_ERROR, ST_ERROR_MEMORY,
                   "out of memory: no room for the %d x %d result", w, h);
      return FALSE;
    }
  guchar *px = gdk_pixbuf_get_pixels (pb);
  int stride = gdk_pixbuf_get_rowstride (pb);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 3; c++)
        px[(size_t)y * stride + (size_t)x * 3 + c] = (guchar)lroundf (
            CLAMP (image->pixels[((size_t)y * w + x) * 3 + c], 0.0f, 1.0f)
            * 255.0f);
  if (hook)
    writer.raise_signal = atoi (hook);
  ok = gdk_pixbuf_save_to_callback (pb, write_chunk, &writer, "png", &local,
                                    NULL);
  g_object_unref (pb);
  if (!ok)
    {
      output_error (error, o->path, writer.err ? writer.err : EIO,
                    local ? local->message : NULL);
      g_clear_error (&local);
      return FALSE;
    }
  /* as a file created with open (..., 0666) would be */
  if (fchmod (o->fd, 0666 & ~creation_mask) != 0 || fsync (o->fd) != 0)
    return output_error (error, o->path, errno, NULL);
  /* Test hook: the run stops here (SIGSTOP) so that a test can move the
   * output's folder, then lets it go on (SIGCONT). */
  if (g_getenv ("STYLE_TRANSFER_TEST_STOP_BEFORE_RENAME"))
    raise (SIGSTOP);
  /* what the output is now, not what it was at the start */
  if (g_stat (o->target, &st) == 0 && !S_ISREG (st.st_mode))
    return output_error (error, o->path, EINVAL,
                         "it is no longer a regular file");
  if (fstat (o->dir_fd, &dir_then) != 0 || g_stat (o->dir, &dir_now) != 0
      || dir_now.st_dev != dir_then.st_dev || dir_now.st_ino != dir_then.st_ino)
    return output_error (error, o->path, ENOENT,
                         "its folder was moved or removed during the run; "
                         "nothing was written");
  sigfillset (&all);
  pthread_sigmask (SIG_BLOCK, &all, &old);
  ok = renameat (o->dir_fd, o->tmp, o->dir_fd, o->name) == 0;
  if (ok)
    signal_tmp_set = 0;
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  if (!ok)
    return output_error (error, o->path, errno, NULL);
  g_clear_pointer (&o->tmp, g_free); /* renamed: nothing to remove */
  return TRUE;
}

/* ------------------------------------------------------------ images */

/* Bytes per pixel of an image held in full: the decoded pixbuf (RGBA),
 * the float copy here and the engine's planar copy. */
#define IMAGE_BYTES_PER_PIXEL 28

typedef struct
{
  const char *path;
  StContext *engine;
  const StNetwork *net;
  const StParams *params;
  gboolean content;        /* else a style image          */
  int style_side;          /* the long side styles need   */
  guint64 budget;          /* the run's memory budget     */
  guint64 *spent;          /* by images read so far       */
  char *refusal;           /* why the image was refused   */
  guint64 declared_pixels; /* of the image being read, once known */
} LoadCtx;

/* The size to decode an image of width x height at: an image that fits
 * half the budget is decoded whole (the engine's resampling is then the
 * only one); a larger one at twice the size the run needs (SVG and JPEG
 * decode at that size; other formats are decoded whole and shrunk by the
 * loader), or refused when even that does not fit (FALSE, ctx->refusal
 * set).  Counts what it takes in *ctx->spent. */
static gboolean
plan_decode (LoadCtx *ctx, const char *format, int width, int height, int *tw,
             int *th)
{
  guint64 px = (guint64)MAX (width, 0) * (guint64)MAX (height, 0);
  guint64 full = px * IMAGE_BYTES_PER_PIXEL, reduced, decode;
  int long_side = MAX (width, height), need, target;

  *tw = width;
  *th = height;
  if (width <= 0 || height <= 0)
    return TRUE;
  if (*ctx->spent + full <= ctx->budget / 2)
    {
      *ctx->spent += full;
      return TRUE;
    }
  if (ctx->content)
    {
      StEstimate est;
      need = st_estimate (ctx->engine, ctx->net, width, height, ctx->params,
                          &est, NULL)
                     == ST_OK
                 ? MAX (est.width, est.height)
                 : long_side;
    }
  else
    need = ctx->style_side;
  target = (int)MIN ((gint64)long_side, MAX (2 * (gint64)need, 256));
  st_fit_long_side (width, height, target, tw, th);
  reduced = (guint64)*tw * *th * IMAGE_BYTES_PER_PIXEL;
  if (g_strcmp0 (format, "svg") == 0)
    decode = 0; /* drawn at the size asked for */
  else if (g_strcmp0 (format, "jpeg") == 0)
    {
      /* libjpeg decodes at 1/1, 1/2, 1/4 or 1/8, the smallest that is
         still at least the size asked for */
      int d = 1;
      while (d < 8 && long_side / (2 * d) >= target)
        d *= 2;
      decode = px / ((guint64)d * d) * 4;
    }
  else
    decode = px * 4; /* whole, then shrunk */
  if (*ctx->spent + decode + reduced > ctx->budget)
    {
      char *need_text
          = g_format_size_full (decode + reduced, G_FORMAT_SIZE_IEC_UNITS);
      char *have = g_format_size_full (ctx->budget, G_FORMAT_SIZE_IEC_UNITS);
      char *shown = g_filename_display_name (ctx->path);

      if (ctx->budget == 0)
        ctx->refusal = g_strdup_printf (
            "%s: an image of %d x %d pixels needs about %s to decode, and "
            "this process's memory limit (ulimit -v or -d) leaves nothing "
            "beside what the numeric library reserves; raise the limit or "
            "use fewer threads (-t 1)",
            shown, width, height, need_text);
      else
        ctx->refusal = g_strdup_printf (
            "%s: an image of %d x %d pixels needs about %s to decode, more "
            "than the memory budget of %s; use a smaller image",
            shown, width, height, need_text, have);
      g_free (need_text);
      g_free (have);
      g_free (shown);
      return FALSE;
    }
  *ctx->spent += reduced;
  return TRUE;
}

/* Called with the image's own size before any pixel is decoded. */
static void
on_size_prepared (GdkPixbufLoader *loader, int width, int height, gpointer data)
{
  LoadCtx *ctx = data;
  GdkPixbufFormat *format = gdk_pixbuf_loader_get_format (loader);
  char *name = format ? gdk_pixbuf_format_get_name (format) : NULL;
  int tw, th;

  ctx->declared_pixels = (guint64)MAX (width, 0) * (guint64)MAX (height, 0);
  if (!plan_decode (ctx, name, width, height, &tw, &th))
    /* 0 x 0 stops the loaders before they allocate the pixels */
    gdk_pixbuf_loader_set_size (loader, 0, 0);
  else if (tw != width || th != height)
    gdk_pixbuf_loader_set_size (loader, tw, th);
  g_free (name);
}

/* The most bytes of a file in a format that is not verified that are
 * given to its decoder, once its size is known: more than any encoding of
 * the image needs (16 bytes a pixel, uncompressed 16-bit RGBA twice), so
 * that data after the image, a sparse tail of 64 GiB, is not read to its
 * end. */
static guint64
bytes_bound (const LoadCtx *ctx)
{
  return ctx->declared_pixels ? ctx->declared_pixels * 16 + ((guint64)1 << 20)
                              : G_MAXUINT64;
}

/* path opened for reading without blocking, then the opened file
 * checked: a FIFO, a device or a folder is refused at once, and cannot be
 * swapped in after the check.  -1 with error set. */
static int
open_image_file (const char *path, const char *shown, GError **error)
{
  struct stat st;
  int fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0);

  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "cannot read %s: %s", shown, g_strerror (saved));
      return -1;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, ST_ERROR, ST_ERROR_IO,
                   "cannot read %s: not a regular file (a %s); give an "
                   "image file",
                   shown,
                   S_ISDIR (st.st_mode)    ? "folder"
                   : S_ISFIFO (st.st_mode) ? "FIFO"
                   : S_ISSOCK (st.st_mode) ? "socket"
                                           : "device");
      close (fd);
      return -1;
    }
  return fd;
}

/* The declared size against the budget before anything is decoded, then
 * the whole file's structure: a file cut short or corrupt is an error,
 * not an image with a grey part (issue 20).  *info: what the header
 * says. */
static gboolean
check_image_file (LoadCtx *ctx, int fd, const char *shown, StImageInfo *info,
                  GError **error)
{
  GError *local = NULL;

  st_image_header (fd, info);
  if (info->width > 0 && info->height > 0
      && (info->kind == ST_IMAGE_PNG || info->kind == ST_IMAGE_JPEG))
    {
      guint64 spent = *ctx->spent;
      int tw, th;
      gboolean fits
          = plan_decode (ctx, info->kind == ST_IMAGE_JPEG ? "jpeg" : "png",
                         info->width, info->height, &tw, &th);
      *ctx->spent = spent; /* counted again when the loader decides */
      if (!fits)
        {
          g_set_error_literal (error, ST_ERROR, ST_ERROR_MEMORY, ctx->refusal);
          g_clear_pointer (&ctx->refusal, g_free);
          return FALSE;
        }
    }
  if (!st_image_verify (fd, info, &local))
    {
      g_set_error (error, ST_ERROR, ST_ERROR_FORMAT, "cannot read %s: %s",
                   shown, local->message);
      g_clear_error (&local);
      return FALSE;
    }
  return TRUE;
}

/* The file fed to a pixbuf loader, which decodes it at the size
 * plan_decode () chooses (on_size_prepared): the picture, upright (a new
 * reference), or NULL with error set. */
static GdkPixbuf *
decode_image_file (LoadCtx *ctx, int fd, const StImageInfo *info,
                   const char *shown, GError **error)
{
  GdkPixbufLoader *loader = gdk_pixbuf_loader_new ();
  guchar *buffer = g_malloc (65536);
  GdkPixbuf *pb = NULL;
  GError *local = NULL;
  guint64 fed = 0;

  g_signal_connect (loader, "size-prepared", G_CALLBACK (on_size_prepared),
                    ctx);
  for (;;)
    {
      /* no further than the image's end (PNG, JPEG), or than any
       * encoding of its size needs */
      guint64 limit = info->end >= 0 ? (guint64)info->end : bytes_bound (ctx);
      size_t want = (size_t)MIN ((guint64)65536, limit - MIN (limit, fed));
      ssize_t n = want ? read (fd, buffer, want) : 0;
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;
          g_set_error (&local, G_FILE_ERROR, g_file_error_from_errno (saved),
                       "%s", g_strerror (saved));
          break;
        }
      if (n == 0 || ctx->refusal)
        break;
      fed += (guint64)n;
      if (!gdk_pixbuf_loader_write (loader, buffer, (gsize)n, &local))
        break;
    }
  g_free (buffer);
  /* always closed (else it complains when finalized) */
  if (!gdk_pixbuf_loader_close (loader, local ? NULL : &local) && !local)
    g_set_error_literal (&local, ST_ERROR, ST_ERROR_FORMAT,
                         "not a complete image");
  if (ctx->refusal)
    {
      g_set_error_literal (error, ST_ERROR, ST_ERROR_MEMORY, ctx->refusal);
      g_clear_pointer (&ctx->refusal, g_free);
      g_clear_error (&local);
    }
  else if (local)
    {
      g_set_error (error, ST_ERROR, ST_ERROR_FORMAT, "cannot read %s: %s",
                   shown, local->message);
      g_clear_error (&local);
    }
  else if (!gdk_pixbuf_loader_get_pixbuf (loader))
    g_set_error (error, ST_ERROR, ST_ERROR_FORMAT,
                 "cannot read %s: not a complete image", shown);
  /* a new reference, or NULL when there is no memory for the turn */
  else if (!(pb = gdk_pixbuf_apply_embedded_orientation (
                 gdk_pixbuf_loader_get_pixbuf (loader))))
    g_set_error (error, ST_ERROR, ST_ERROR_MEMORY,
                 "out of memory: no room to turn %s upright", shown);
  g_object_unref (loader);
  return pb;
}

/* An 8-bit RGB or RGBA picture as an engine image, transparent areas
 * composited over white, as GIMP's checkerboard-free export would
 * flatten them; NULL with error set. */
static StImage *
image_from_pixbuf (GdkPixbuf *pb, const char *shown, GError **error)
{
  int w = gdk_pixbuf_get_width (pb), h = gdk_pixbuf_get_height (pb);
  int nc = gdk_pixbuf_get_n_channels (pb);
  int stride = gdk_pixbuf_get_rowstride (pb);
  gboolean alpha = gdk_pixbuf_get_has_alpha (pb);
  const guchar *px = gdk_pixbuf_read_pixels (pb);
  StImage *image;

  if (gdk_pixbuf_get_bits_per_sample (pb) != 8 || nc < 3 || !px)
    {
      g_set_error (error, ST_ERROR, ST_ERROR_INVALID,
                   "%s: unsupported image (%d x %d)", shown, w, h);
      return NULL;
    }
  if (!(image = st_image_new (w, h)))
    {
      g_set_error (error, ST_ERROR, ST_ERROR_MEMORY,
                   "out of memory: no room for %s (%d x %d)", shown, w, h);
      return NULL;
    }
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        const guchar *s = px + (size_t)y * stride + (size_t)x * nc;
        float *d = image->pixels + ((size_t)y * w + x) * 3;
        float a = alpha ? s[3] / 255.0f : 1.0f;
        for (int c = 0; c < 3; c++)
          d[c] = a * (s[c] / 255.0f) + (1.0f - a);
      }
  return image;
}

/* ctx->path read within the budget: opened, checked, decoded, made an
 * engine image; NULL with error set. */
static StImage *
load_image (LoadCtx *ctx, GError **error)
{
  char *shown = g_filename_display_name (ctx->path);
  GdkPixbuf *pb = NULL;
  StImage *image = NULL;
  StImageInfo info;
  int fd;

  ctx->declared_pixels = 0;
  fd = open_image_file (ctx->path, shown, error);
  if (fd >= 0 && check_image_file (ctx, fd, shown, &info, error)
      && (pb = decode_image_file (ctx, fd, &info, shown, error)))
    image = image_from_pixbuf (pb, shown, error);

  if (pb)
    g_object_unref (pb);
  if (fd >= 0)
    close (fd);
  g_free (shown);
  return image;
}

/* Progress goes to standard output (an animated bar on a terminal, one
 * line per scale otherwise), never to standard error: there a failure is
 * the one and only line. */
static gboolean
on_progress (const StProgress *p, gpointer data)
{
  Cli *cli = data;
  gint64 now = g_get_monotonic_time ();
  double left;
  char bar[31], step[64];
  int filled;
  if (cli->quiet || (p->iteration == 0 && !cli->tty))
    return TRUE; /* nothing to log before the first iteration */
  if (!cli->tty)
    {
      /* A log, not an animation: one line per scale. */
      if (p->iteration == p->n_iterations)
        {
          printf ("scale %d/%d (%d x %d): %d iterations, loss %.4g (style "
                  "%.4g, content %.4g, smoothness %.4g), %.1f s\n",
                  p->scale, p->n_scales, p->width, p->height, p->iteration,
                  p->loss, p->style_loss, p->content_loss, p->tv_loss,
                  p->elapsed);
          fflush (stdout);
        }
      return TRUE;
    }
  if (now - cli->last_draw < 100000 && p->iteration != p->n_iterations)
    return TRUE;
  cli->last_draw = now;
  filled = (int)(CLAMP (p->fraction, 0.0, 1.0) * 30);
  memset (bar, '#', filled);
  memset (bar + filled, '-', 30 - filled);
  bar[30] = '\0';
  left = p->fraction > 0.01 ? p->elapsed * (1 - p->fraction) / p->fraction : 0;
  if (p->iteration == 0) /* the scale's targets, then its warm-up */
    g_strlcpy (step, "starting", sizeof step);
  else
    g_snprintf (step, sizeof step, "iteration %d/%d  loss %.4g", p->iteration,
                p->n_iterations, p->loss);
  printf ("\r[%s] %3.0f%%  scale %d/%d  %-30s  %s%.0f s left ", bar,
          p->fraction * 100, p->scale, p->n_scales, step,
          p->fraction > 0.01 ? "" : "~", left);
  fflush (stdout);
  bar_drawn = 1;
  return TRUE;
}

/* Parses --style-blend: one finite, non-negative number per style. */
static double *
parse_blend (const char *text, int n_styles, GError **error)
{
  char **parts = g_strsplit (text, ",", -1);
  double *weights = NULL;

  if ((int)g_strv_length (parts) != n_styles)
    {
      g_set_error (error, ST_ERROR, ST_ERROR_INVALID,
                   "--style-blend has %u weights for %d style images",
                   g_strv_length (parts), n_styles);
      goto out;
    }
  weights = g_new (double, n_styles);
  for (int j = 0; j < n_styles; j++)
    {
      char *end;
      weights[j] = g_ascii_strtod (parts[j], &end);
      if (*end || end == parts[j])
        {
          g_set_error (error, ST_ERROR, ST_ERROR_INVALID,
                       "--style-blend: \"%s\" is not a number", parts[j]);
          g_clear_pointer (&weights, g_free);
          goto out;
        }
    }
out:
  g_strfreev (parts);
  return weights;
}

/* ----------------------------------------------------------- numbers */

/* Whole numbers are read in decimal only: GLib's own parser takes a
 * leading 0 for octal and 0x for hexadecimal, so that "--size 0100"
 * painted at 64 px (issue 20). */
static gboolean parse_int_option (const gchar *name, const gchar *value,
                                  gpointer data, GError **error);

typedef struct
{
  const char *long_name;
  char short_name;
  int *target;
} IntOption;

static int opt_iterations, opt_size, opt_seed, opt_threads, opt_scales;

static const IntOption int_options[] = {
  { "iterations", 'i', &opt_iterations },
  { "size", 's', &opt_size },
  { "seed", 0, &opt_seed },
  { "threads", 't', &opt_threads },
  { "scales", 0, &opt_scales },
};

static gboolean
parse_int_option (const gchar *name, const gchar *value, gpointer data,
                  GError **error)
{
  gint64 v;
  (void)data;

  for (gsize i = 0; i < G_N_ELEMENTS (int_options); i++)
    {
      const IntOption *o = &int_options[i];
      gboolean match = (g_str_has_prefix (name, "--")
                        && strcmp (name + 2, o->long_name) == 0)
                       || (o->short_name && name[0] == '-'
                           && name[1] == o->short_name && name[2] == '\0');
      if (!match)
        continue;
      /* an optional sign and decimal digits, nothing else (negative
       * numbers are refused later, with the parameter's name) */
      if (!g_ascii_string_to_signed (value, 10, G_MININT, G_MAXINT, &v, NULL))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "--%s: \"%s\" is not a whole number (write it in "
                       "decimal, such as 512)",
                       o->long_name, value);
          return FALSE;
        }
      *o->target = (int)v;
      return TRUE;
    }
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
               "unknown option %s", name);
  return FALSE;
}

/* Numbers with a fraction: decimal too ("0x1p5" is not 32 here), and
 * "nan" and "inf" are read so that the range check names them. */
static gboolean
parse_double_text (const char *value, double *out)
{
  char *end;

  if (strchr (value, 'x') || strchr (value, 'X'))
    return FALSE;
  errno = 0;
  *out = g_ascii_strtod (value, &end);
  return end != value && *end == '\0';
}

static double opt_strength = 50, opt_style_weight = -1, opt_content_weight = -1,
              opt_tv_weight = -1, opt_style_scale = 1;

static gboolean
parse_double_option (const gchar *name, const gchar *value, gpointer data,
                     GError **error)
{
  static const struct
  {
    const char *name;
    double *target;
  } options[] = {
    { "--strength", &opt_strength },
    { "--style-weight", &opt_style_weight },
    { "--content-weight", &opt_content_weight },
    { "--tv-weight", &opt_tv_weight },
    { "--style-scale", &opt_style_scale },
  };
  (void)data;

  for (gsize i = 0; i < G_N_ELEMENTS (options); i++)
    if (strcmp (name, options[i].name) == 0)
      {
        if (!parse_double_text (value, options[i].target))
          {
            g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                         "%s: \"%s\" is not a number (write it in decimal, "
                         "such as 0.5 or 1e4)",
                         name, value);
            return FALSE;
          }
        return TRUE;
      }
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
               "unknown option %s", name);
  return FALSE;
}

/* The engine's environment variables that it ignores, each said once as
 * a warning (issue 20: ST_BLAS=typo ran six times slower in silence). */
static void
warn_environment (void)
{
  char **problems = st_environment_problems ();

  for (int i = 0; problems && problems[i]; i++)
    {
      char *line = one_line (problems[i]);
      fprintf (stderr, "style-transfer: warning: %s\n", line);
      g_free (line);
    }
  g_strfreev (problems);
}

/* The output's name on standard output, as it was given: the real path
 * for a script to use.  On a terminal control characters are shown
 * escaped, as ls does, so that a name cannot drive the terminal. */
static void
print_output_name (const char *output)
{
  if (isatty (STDOUT_FILENO))
    {
      char *shown = one_line (output);
      printf ("%s\n", shown);
      g_free (shown);
    }
  else
    {
      fputs (output, stdout);
      fputc ('\n', stdout);
    }
}

/* ----------------------------------------------------------- options */

/* What the command line says besides the numbers (opt_* above). */
typedef struct
{
  char *output, *network, *optimizer, *pooling, *blend, *init; /* bytes */
  gboolean preserve, match, quiet;
} Options;

static void
options_clear (Options *o)
{
  g_free (o->output);
  g_free (o->network);
  g_free (o->optimizer);
  g_free (o->pooling);
  g_free (o->blend);
  g_free (o->init);
}

/* Parses argv into o and the opt_* numbers, leaving the file names in
 * argv[1 .. *argc - 1]. */
static gboolean
parse_options (int *argc, char ***argv, Options *o, GError **error)
{
  GOptionGroup *group = g_option_group_new ("main", "", "", NULL, NULL);
  GOptionContext *ctx;
  gboolean ok;
  /* a function as GOptionEntry's data pointer, without a cast ISO C
   * forbids */
  union
  {
    GOptionArgFunc f;
    gpointer p;
  } int_cb = { .f = parse_int_option };
  union
  {
    GOptionArgFunc f;
    gpointer p;
  } double_cb = { .f = parse_double_option };
  /* Every text option is taken as bytes (G_OPTION_ARG_FILENAME): GLib
   * would convert G_OPTION_ARG_STRING from the locale's charset, which
   * without setlocale () is ASCII, so "é" in a path failed with "Invalid
   * byte sequence in conversion input".  (--help shows these texts:
   * clang-format leaves them as they are written.) */
  /* clang-format off */
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &o->output,
      "Write the result to this PNG file (required)", "OUT.png" },
    { "size", 's', 0, G_OPTION_ARG_CALLBACK, int_cb.p,
      "Long side of the result in pixels (default: the content's)", "N" },
    { "iterations", 'i', 0, G_OPTION_ARG_CALLBACK, int_cb.p,
      "Iterations at the first scale (default: automatic)", "N" },
    { "strength", 0, 0, G_OPTION_ARG_CALLBACK, double_cb.p,
      "Style against content, 0-100 (default 50)", "P" },
    { "style-weight", 0, 0, G_OPTION_ARG_CALLBACK, double_cb.p,
      "Raw style weight (overrides --strength)", "W" },
    { "content-weight", 0, 0, G_OPTION_ARG_CALLBACK, double_cb.p,
      "Raw content weight", "W" },
    { "tv-weight", 0, 0, G_OPTION_ARG_CALLBACK, double_cb.p,
      "Total-variation (smoothness) weight", "W" },
    { "style-scale", 0, 0, G_OPTION_ARG_CALLBACK, double_cb.p,
      "Size of the style's features relative to the result (default 1)", "F" },
    { "style-blend", 0, 0, G_OPTION_ARG_FILENAME, &o->blend,
      "Blend weights of the style images, comma separated", "W1,W2,..." },
    { "preserve-colors", 0, 0, G_OPTION_ARG_NONE, &o->preserve,
      "Keep the content's colours: transfer luminance only", NULL },
    { "match-colors", 0, 0, G_OPTION_ARG_NONE, &o->match,
      "Recolour the style to the content's colours first", NULL },
    { "init", 0, 0, G_OPTION_ARG_FILENAME, &o->init,
      "Start from the content (default) or from noise", "content|noise" },
    { "seed", 0, 0, G_OPTION_ARG_CALLBACK, int_cb.p, "Random seed (default 0)", "N" },
    { "scales", 0, 0, G_OPTION_ARG_CALLBACK, int_cb.p,
      "Number of coarse-to-fine scales (default: automatic)", "N" },
    { "optimizer", 0, 0, G_OPTION_ARG_FILENAME, &o->optimizer,
      "lbfgs (default) or adam", "NAME" },
    { "pooling", 0, 0, G_OPTION_ARG_FILENAME, &o->pooling,
      "VGG19 pooling: avg (default) or max", "NAME" },
    { "network", 'n', 0, G_OPTION_ARG_FILENAME, &o->network,
      "embedded, vgg19 or a .safetensors file (default: vgg19 when "
      "installed, else embedded)",
      "NAME" },
    { "threads", 't', 0, G_OPTION_ARG_CALLBACK, int_cb.p,
      "Threads (default: all cores)", "N" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet,
      "No progress on standard output (only the output's name)", NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL }
  };
  /* clang-format on */

  g_option_group_add_entries (group, entries);
  ctx = g_option_context_new ("CONTENT STYLE [STYLE2 ...]");
  g_option_context_set_main_group (ctx, group);
  g_option_context_set_summary (
      ctx, "Paints CONTENT in the style of STYLE (Gatys et al. style "
           "transfer).  Progress goes to standard output, which ends with "
           "the output's name; a failure is one line on standard error.");
  ok = g_option_context_parse (ctx, argc, argv, error);
  g_option_context_free (ctx);
  return ok;
}

/* A word option's value among its choices, in the order the message
 * lists them; the first is the engine's default. */
typedef struct
{
  const char *name;
  int value;
} Choice;

static const Choice optimizer_choices[]
    = { { "lbfgs", ST_OPTIMIZER_LBFGS }, { "adam", ST_OPTIMIZER_ADAM }, { 0 } };
static const Choice init_choices[]
    = { { "content", ST_INIT_CONTENT }, { "noise", ST_INIT_NOISE }, { 0 } };
static const Choice pooling_choices[]
    = { { "avg", ST_POOLING_AVERAGE }, { "max", ST_POOLING_MAX }, { 0 } };

/* *value set from text, one of choices (text NULL: left as it is); FALSE
 * with "--option must be a or b" otherwise. */
static gboolean
parse_choice (const char *option, const char *text, const Choice *choices,
              int *value, GError **error)
{
  GString *names;

  if (!text)
    return TRUE;
  for (const Choice *c = choices; c->name; c++)
    if (strcmp (text, c->name) == 0)
      {
        *value = c->value;
        return TRUE;
      }

  names = g_string_new (NULL);
  for (const Choice *c = choices; c->name; c++)
    g_string_append_printf (names, "%s%s",
                            c == choices ? ""
                            : c[1].name  ? ", "
                                         : " or ",
                            c->name);
  g_set_error (error, ST_ERROR, ST_ERROR_INVALID, "--%s must be %s", option,
               names->str);
  g_string_free (names, TRUE);
  return FALSE;
}

/* A content, a style and an output are required. */
static gboolean
check_arguments (int argc, const Options *o, GError **error)
{
  if (argc < 3)
    {
      g_set_error (error, ST_ERROR, ST_ERROR_INVALID,
                   "need a content image and at least one style image (see "
                   "--help)");
      return FALSE;
    }
  if (!o->output)
    {
      g_set_error (error, ST_ERROR, ST_ERROR_INVALID,
                   "no output file: add -o OUT.png");
      return FALSE;
    }
  return TRUE;
}

/* The engine's parameters from the options, checked by the engine.
 * *blend_weights (for n_styles styles) is the caller's to free. */
static gboolean
params_from_options (const Options *o, int n_styles, StParams *params,
                     double **blend_weights, GError **error)
{
  int optimizer = params->optimizer, init = params->init,
      pooling = params->pooling;

  params->strength = opt_strength;
  params->style_weight = opt_style_weight;
  params->content_weight = opt_content_weight;
  params->tv_weight = opt_tv_weight;
  params->style_scale = opt_style_scale;
  params->iterations = opt_iterations;
  params->size = opt_size;
  params->seed = (guint32)opt_seed;
  params->threads = opt_threads;
  params->scales = opt_scales;
  params->preserve_colors = o->preserve;
  params->match_colors = o->match;
  if (!parse_choice ("optimizer", o->optimizer, optimizer_choices, &optimizer,
                     error)
      || !parse_choice ("init", o->init, init_choices, &init, error)
      || !parse_choice ("pooling", o->pooling, pooling_choices, &pooling,
                        error))
    return FALSE;
  params->optimizer = (StOptimizer)optimizer;
  params->init = (StInit)init;
  params->pooling = (StPooling)pooling;
  /* Negative or absurd numbers are refused by the engine's validation,
   * which names the parameter; catch them before reading any image. */
  if (opt_iterations < 0 || opt_size < 0 || opt_seed < 0 || opt_threads < 0
      || opt_scales < 0)
    {
      g_set_error (error, ST_ERROR, ST_ERROR_INVALID,
                   "--iterations, --size, --seed, --threads and --scales "
                   "cannot be negative");
      return FALSE;
    }
  if (o->blend)
    {
      if (!(*blend_weights = parse_blend (o->blend, n_styles, error)))
        return FALSE;
      params->style_blend = *blend_weights;
    }
  return st_params_validate (params, error);
}

/* ------------------------------------------------------------- steps */

/* The content, then the n_styles styles, each read within the memory
 * budget of the run (the engine's), styles at the side the run's last
 * scale needs.  *styles is the caller's to free, with each image; *est is
 * the run's plan for the content read (width 0 when it could not be
 * made). */
static gboolean
load_inputs (char **paths, int n_styles, StContext *engine,
             const StNetwork *net, const StParams *params, StImage **content,
             const StImage ***styles, StEstimate *est, guint64 *image_bytes,
             GError **error)
{
  LoadCtx load
      = { paths[0], engine, net, params, TRUE, 0, 0, image_bytes, NULL, 0 };

  /* the budget images are read within (the run's own, from the engine) */
  load.budget = params->memory_budget;
  if (!(*content = load_image (&load, error)))
    return FALSE;
  /* the long side the styles are resampled to at the last scale */
  if (st_estimate (engine, net, (*content)->width, (*content)->height, params,
                   est, NULL)
      == ST_OK)
    load.style_side = st_style_side (params, est->width, est->height);
  else
    {
      est->width = 0;
      load.style_side = MAX ((*content)->width, (*content)->height);
    }
  load.content = FALSE;
  *styles = g_new0 (const StImage *, n_styles);
  for (int j = 0; j < n_styles; j++)
    {
      load.path = paths[1 + j];
      if (!((*styles)[j] = load_image (&load, error)))
        return FALSE;
    }
  return TRUE;
}

/* The first lines of the progress: the network, and the plan's size,
 * scales, iterations, memory and time (the plan load_inputs made). */
static void
print_plan (const StNetwork *net, const StEstimate *est)
{
  char *described;

  if (est->width <= 0)
    return;
  described = one_line (st_network_describe (net));
  printf ("%s\n%d x %d, %d scale%s, %d iterations; about %.0f MiB and "
          "%.0f s\n",
          described, est->width, est->height, est->n_scales,
          est->n_scales > 1 ? "s" : "", est->total_iterations,
          est->peak_bytes / 1048576.0, est->seconds);
  fflush (stdout);
  g_free (described);
}

/* The one line on standard error.  Out of memory, the process ends here
 * (see there). */
static void
report_failure (const GError *error, Output *out)
{
  char *line;

  if (bar_drawn)
    fputs ("\r\033[K", stdout);
  fflush (stdout);
  line = one_line (error ? error->message : NULL);
  fprintf (stderr, "style-transfer: %s\n", line);
  g_free (line);
  if (error && error->domain == ST_ERROR && error->code == ST_ERROR_MEMORY)
    {
      /* Short of memory, OpenBLAS's worker threads may be retrying their
       * buffer allocation forever, and its exit handler joins them: the
       * process would never end.  Nothing is left to flush or remove. */
      output_abandon (out);
      fflush (NULL);
      _exit (1);
    }
}

/* Options, checks, the output opened, the network, the images, the run,
 * the PNG: each step may fail with one message and nothing written. */
int
main (int argc, char **argv)
{
  StParams params;
  StContext *engine = NULL;
  Cli cli = { 0 };
  Options options = { 0 };
  GError *error = NULL;
  StNetwork *net = NULL;
  StImage *content = NULL, *result = NULL;
  const StImage **styles = NULL;
  StEstimate plan;
  double *blend_weights = NULL;
  int n_styles = 0, status = 1;
  guint64 image_bytes = 0;
  Output out = { NULL, NULL, NULL, NULL, NULL, -1, -1 };
  StStatus st;

  /* first of all: no file written below may take descriptor 0, 1 or 2 */
  guard_standard_descriptors ();
  creation_mask = umask (0);
  umask (creation_mask);
  g_log_set_writer_func (quiet_log_writer, NULL, NULL);
  st_params_init (&params);

  if (!parse_options (&argc, &argv, &options, &error))
    goto fail;
  warn_environment ();
  if (!enough_descriptors (&error) || !check_arguments (argc, &options, &error))
    goto fail;
  n_styles = argc - 2;
  if (!params_from_options (&options, n_styles, &params, &blend_weights,
                            &error))
    goto fail;

  /* Find out now, not after minutes of work, that the result cannot be
   * written: the temporary file it goes to is created here. */
  catch_signals ();
  if (!output_is_not_input (options.output, argv + 1, argc - 1, options.network,
                            &error)
      || !output_open (&out, options.output, &error))
    goto fail;

  /* the engine's state for this process (its threads: --threads, which
   * params.threads repeats for the range check), then one budget for
   * reading the images and for the plan that runs */
  if (!(engine = st_context_new (opt_threads)))
    {
      g_set_error_literal (&error, ST_ERROR, ST_ERROR_MEMORY, "out of memory");
      goto fail;
    }
  if (!(params.memory_budget = st_memory_budget (engine, &params, &error))
      || !(net = st_network_open (options.network, NULL, &error))
      || !load_inputs (argv + 1, n_styles, engine, net, &params, &content,
                       &styles, &plan, &image_bytes, &error))
    goto fail;

  cli.quiet = options.quiet;
  cli.tty = isatty (STDOUT_FILENO);
  if (!options.quiet)
    print_plan (net, &plan);
  /* the plan printed is the plan that runs (none when it could not be
   * made: st_transfer then says why) */
  st = st_transfer (engine, net, content, styles, n_styles, &params,
                    plan.width > 0 ? &plan : NULL, on_progress, &cli, &result,
                    &error);
  /* the bar's line ends, whether the run succeeded or not */
  if (bar_drawn)
    {
      bar_drawn = 0;
      fputc ('\n', stdout);
    }
  if (st != ST_OK || !save_png (result, &out, &error))
    goto fail;
  print_output_name (options.output);
  status = 0;
  goto done;

fail:
  report_failure (error, &out);
done:
  output_abandon (&out);
  g_clear_error (&error);
  st_image_free (result);
  st_image_free (content);
  for (int j = 0; styles && j < n_styles; j++)
    st_image_free ((StImage *)styles[j]);
  g_free (styles);
  g_free (blend_weights);
  st_network_free (net);
  st_context_free (engine);
  options_clear (&options);
  return status;
}
