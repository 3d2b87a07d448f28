/*
 * coords.c - reading a coordinate pair: which number is the latitude,
 * whether the pair is a position at all, and the placeholders that mean
 * "no fix".
 *
 * Contract: coord_pair(a, b, lat_first, &c) takes two numbers in the
 * order they appear. A latitude is within [-90, 90], a longitude within
 * [-180, 180]; when only one order fits, it wins; when both fit, the
 * container's convention decides (lat_first). Placeholders: 0/0, values
 * at or beyond +-1000 (WeChat's -1000/-1000 when the permission is off),
 * NaN/inf. A pair is "plausible" (worth reporting without other
 * evidence) when it is in range, not a placeholder, and neither value
 * is an exact small integer (ids and counters are, fixes almost never
 * are). coord_text() reads "lat,lon" and "lat/lon" cells; coord_format()
 * writes "lat,lon" with 6 decimals. No allocation.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "detect_int.h"

static bool in_lat(double v) { return v >= -90.0 && v <= 90.0; }
static bool in_lon(double v) { return v >= -180.0 && v <= 180.0; }

bool coord_pair(double a, double b, bool lat_first, coord *c)
{
	memset(c, 0, sizeof *c);
	if (!isfinite(a) || !isfinite(b))
		return false;
	if ((a <= -999.0 || a >= 999.0) && (b <= -999.0 || b >= 999.0)) {
		c->lat = a, c->lon = b, c->placeholder = true;
		return true;
	}
	if (a == 0.0 && b == 0.0) {
		c->placeholder = true;
		return true;
	}
	bool ab = in_lat(a) && in_lon(b), ba = in_lat(b) && in_lon(a);
	if (!ab && !ba)
		return false;
	if (ab && ba)
		ab = lat_first;
	c->lat = ab ? a : b;
	c->lon = ab ? b : a;
	/* exact integers (and tiny values) are counters, flags or sizes */
	bool ia = a == floor(a), ib = b == floor(b);
	c->plausible = !(ia || ib) && fabs(c->lat) >= 0.001 && fabs(c->lon) >= 0.001;
	return true;
}

bool coord_num(const char *p, size_t n, double *v)
{
	while (n && (*p == ' '))
		p++, n--;
	while (n && p[n - 1] == ' ')
		n--;
	if (!n || n > 32)
		return false;
	size_t i = 0;
	bool digits = false, dot = false;
	if (p[i] == '-' || p[i] == '+')
		i++;
	for (; i < n; i++) {
		if (p[i] >= '0' && p[i] <= '9')
			digits = true;
		else if (p[i] == '.' && !dot)
			dot = true;
		else
			return false;
	}
	if (!digits)
		return false;
	char buf[40];
	memcpy(buf, p, n);
	buf[n] = 0;
	double x = 0, scale = 1;
	bool neg = false, frac = false;
	for (size_t k = 0; k < n; k++) {
		char ch = buf[k];
		if (ch == '-')
			neg = true;
		else if (ch == '.')
			frac = true;
		else if (ch >= '0' && ch <= '9') {
			if (frac) {
				scale /= 10;
				x += (ch - '0') * scale;
			} else
				x = x * 10 + (ch - '0');
		}
	}
	*v = neg ? -x : x;
	return true;
}

bool coord_text(const char *p, size_t n, double *a, double *b)
{
	if (n < 3 || n > 64)
		return false;
	const char *sep = NULL;
	for (size_t i = 0; i < n; i++)
		if (p[i] == ',' || p[i] == '/') {
			if (sep)
				return false;
			sep = p + i;
		}
	if (!sep)
		return false;
	size_t l = (size_t)(sep - p);
	/* both sides decimals with a fraction part: "37.42" not "12" */
	if (!memchr(p, '.', l) || !memchr(sep + 1, '.', n - l - 1))
		return false;
	return coord_num(p, l, a) && coord_num(sep + 1, n - l - 1, b);
}

int coord_format(char *buf, size_t cap, double lat, double lon)
{
	/* -0.000000 reads as 0 */
	if (lat > -5e-7 && lat < 5e-7)
		lat = 0;
	if (lon > -5e-7 && lon < 5e-7)
		lon = 0;
	return snprintf(buf, cap, "%.6f,%.6f", lat, lon);
}
