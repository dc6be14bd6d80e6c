/* Unit tests for client/winlog: file names a server cannot steer, and lines appended in order. */
#include "client/winlog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

static void test_names(void)
{
	static const struct {
		const char *window, *want;
	} cases[] = {
		{"", "status.log"},          {NULL, "status.log"},     {"#Tea", "#tea.log"},
		{"bob", "bob.log"},          {"Zo\xc3\xab", "zo__.log"}, {"../../etc/passwd", "_._.._etc_passwd.log"},
		{".hidden", "_hidden.log"},  {"a/b", "a_b.log"},       {"x-y_z.9", "x-y_z.9.log"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char out[128];
		test_case("name of '%s'", cases[i].window ? cases[i].window : "(null)");
		pl_winlog_name(cases[i].window, out, sizeof out);
		CHECK_STR_EQ(out, cases[i].want);
		CHECK(strchr(out, '/') == NULL);
	}
	char small[8];
	test_case("a short buffer still ends in .log");
	pl_winlog_name("averyveryverylongname", small, sizeof small);
	CHECK(strlen(small) < sizeof small && strcmp(small + strlen(small) - 4, ".log") == 0);
}

static void test_write(void)
{
	char dir[] = "/tmp/parley-winlog-XXXXXX", sub[64], err[256];
	test_case("the directory is made, lines are appended with their time");
	if (!CHECK(mkdtemp(dir) != NULL))
		return;
	snprintf(sub, sizeof sub, "%s/logs", dir);
	CHECK_EQ(pl_winlog_open_dir(sub, err, sizeof err), 0);
	struct stat st;
	CHECK(stat(sub, &st) == 0 && (st.st_mode & 0777) == 0700);
	pl_winlog_write(sub, "#tea", "<bob> first", 0);
	pl_winlog_write(sub, "#TEA", "<bob> second", 86400);
	char path[128], buf[256] = "";
	snprintf(path, sizeof path, "%s/#tea.log", sub);
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	CHECK(strstr(buf, "<bob> first\n") != NULL && strstr(buf, "<bob> second\n") > strstr(buf, "<bob> first"));
	CHECK(strstr(buf, "1970-01-0") == buf);
	test_case("a directory that cannot be made says so");
	CHECK(pl_winlog_open_dir("/proc/no/such/dir", err, sizeof err) < 0 && strstr(err, "log directory") != NULL);
	unlink(path);
	rmdir(sub);
	rmdir(dir);
}

int main(void)
{
	test_names();
	test_write();
	return test_done();
}
