/* LD_PRELOAD shim for real OBS: writes every shader string libobs's effect parser builds
 * (ep_compile_pass in libobs/graphics/effect-parser.c) to $BACKDROP_SHADER_DUMP, then calls the real
 * function. libobs calls gs_vertexshader_create / gs_pixelshader_create through the PLT, so the
 * preloaded definitions win. One file per call: <n>.<vs|ps>.hlsl, with the location on line 1. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

typedef void *(*create_fn)(const char *shader, const char *file, char **error_string);

static void dump(const char *kind, const char *shader, const char *file)
{
	static int n;
	const char *dir = getenv("BACKDROP_SHADER_DUMP");
	char path[4096];
	FILE *f;

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/%04d.%s.hlsl", dir, __sync_fetch_and_add(&n, 1), kind);
	f = fopen(path, "wb");
	if (!f)
		return;
	fprintf(f, "// location: %s\n%s", file ? file : "", shader ? shader : "");
	fclose(f);
}

static void *capture(const char *kind, const char *symbol, create_fn *real, const char *shader, const char *file,
		     char **error_string)
{
	if (!*real)
		*real = (create_fn)dlsym(RTLD_NEXT, symbol);
	dump(kind, shader, file);
	return (*real)(shader, file, error_string);
}

void *gs_vertexshader_create(const char *shader, const char *file, char **error_string)
{
	static create_fn real;
	return capture("vs", "gs_vertexshader_create", &real, shader, file, error_string);
}

void *gs_pixelshader_create(const char *shader, const char *file, char **error_string)
{
	static create_fn real;
	return capture("ps", "gs_pixelshader_create", &real, shader, file, error_string);
}
