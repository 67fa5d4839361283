/* gettext-probe.c - preloaded into GIMP itself by test-user-install.py:
 * records, one "msgid<TAB>translation" line each, what GIMP's gettext
 * answers for the plug-in's text domain (the menu label GIMP builds from
 * the translations that the plug-in registered), into $ST_GETTEXT_LOG.
 * glibc's libintl.h turns dgettext into dcgettext in optimized builds,
 * hence both.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DOMAIN "gimp-style-transfer"

static void
record (const char *domain, const char *msgid, const char *answer)
{
  const char *path = getenv ("ST_GETTEXT_LOG");
  FILE *file;

  if (!path || !domain || strcmp (domain, DOMAIN) != 0 || !msgid)
    return;
  file = fopen (path, "a");
  if (!file)
    return;
  fprintf (file, "%s\t%s\n", msgid, answer ? answer : "(null)");
  fclose (file);
}

char *
dcgettext (const char *domain, const char *msgid, int category)
{
  static char *(*real) (const char *, const char *, int);
  char *answer;

  if (!real)
    *(void **)&real = dlsym (RTLD_NEXT, "dcgettext");
  answer = real (domain, msgid, category);
  record (domain, msgid, answer);
  return answer;
}

char *
dgettext (const char *domain, const char *msgid)
{
  static char *(*real) (const char *, const char *);
  char *answer;

  if (!real)
    *(void **)&real = dlsym (RTLD_NEXT, "dgettext");
  answer = real (domain, msgid);
  record (domain, msgid, answer);
  return answer;
}
