#!/bin/sh
# test_agent_libs.py's stand-in agent: /init starts it like the agent;
# it runs the real cocoon-agent once (--version), so every library the
# agent needs must load in the guest, then prints the guest's uptime.
/usr/bin/cocoon-agent --version || exit $?
read -r up _ </proc/uptime
echo "AGENT-LIBS uptime=$up"
