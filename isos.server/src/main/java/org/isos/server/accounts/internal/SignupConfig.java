package org.isos.server.accounts.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

/** Who may open accounts (PID {@value #PID}). */
@ObjectClassDefinition(id = SignupConfig.PID, name = "ISOS signup",
        description = "Who may open accounts with POST /v1/accounts")
public @interface SignupConfig {

    String PID = "org.isos.server.signup";

    @AttributeDefinition(description = "open: anyone opens accounts; invite: only the operator (the token in "
            + "<data directory>/operator.token) or someone with an invitation code from the operator or a host owner",
            options = { @Option(value = "invite", label = "invite"), @Option(value = "open", label = "open") })
    String signup() default "invite";

    @AttributeDefinition(description = "Hours an invitation stays valid", min = "1")
    int invitationHours() default 7 * 24;
}
