/* Go value syntax as the components' Go code reads it, for the values kubecomply judges:
 *   durations   time.ParseDuration ("1.5h", "1h30m", "300ms", "-2m", "0"; units ns us µs μs
 *               ms s m h; a number without a unit is refused except "0");
 *   quantities  k8s.io/apimachinery resource.ParseQuantity ("100Mi", "1.5G", "500m", "1e3");
 *   booleans    strconv.ParseBool, which pflag's bool flags use ("1", "t", "TRUE", "false"...).
 * Every parser returns 0 or KC_EINVAL with a message saying what was expected. */
#ifndef KC_GOVALUE_H
#define KC_GOVALUE_H

#include <stddef.h>
#include <stdint.h>

int kc_go_duration(const char *s, int64_t *ns);
/* time.Duration.String(): "4h0m0s", "1m30s", "300ms", "0s". buf of 32 bytes is enough. */
const char *kc_go_duration_string(int64_t ns, char *buf, size_t size);
int kc_go_quantity(const char *s, double *value);
int kc_go_bool(const char *s, int *out);

#endif
