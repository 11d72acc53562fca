/* Credentials for libgit2's transports. libgit2 calls back again after a rejected
 * credential, so the callback gives up after a few attempts instead of looping. */
#include <git2.h>
#include <string.h>

#include "gitops/gitops.h"

int kc_git_cred_acquire(git_credential **out, const char *url, const char *username_from_url,
			unsigned int allowed_types, void *payload)
{
	struct kc_git_cred *c = payload;
	(void)url;
	if (!c || ++c->attempts > 3) {
		git_error_set_str(GIT_ERROR_NET, "authentication failed (credentials rejected)");
		return GIT_EAUTH;
	}
	if (allowed_types & GIT_CREDENTIAL_SSH_KEY) {
		const char *user = username_from_url ? username_from_url : "git";
		if (c->ssh_key)
			return git_credential_ssh_key_new(out, user, c->ssh_pubkey, c->ssh_key, c->ssh_passphrase);
		return git_credential_ssh_key_from_agent(out, user);
	}
	if ((allowed_types & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && c->token) {
		const char *user = c->user ? c->user : username_from_url ? username_from_url : "x-access-token";
		return git_credential_userpass_plaintext_new(out, user, c->token);
	}
	if (allowed_types & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, username_from_url ? username_from_url : "git");
	/* let libgit2 report "authentication required" without guessing */
	return GIT_PASSTHROUGH;
}
