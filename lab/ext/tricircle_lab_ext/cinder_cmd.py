"""``cinder-volume`` and ``cinder-backup`` running their privileged helpers in-process.

Stock cinder starts a privsep daemon per privilege context (three processes per pod,
~33 MiB each) through ``sudo privsep-helper``. The lab runs as root, so these launchers turn
the contexts' client mode off (the privileged functions run in the service itself) and then
run cinder's own ``main``.
"""

import sys


def _privsep_in_process():
    import cinder.privsep
    import os_brick.privileged as brick

    for context in (brick.default, brick.brick_privsep_hide_output,
                    cinder.privsep.sys_admin_pctxt):
        context.set_client_mode(False)


def volume():
    from cinder.cmd import volume as cmd  # first: cinder's eventlet monkey patching

    _privsep_in_process()
    return cmd.main()


def backup():
    from cinder.cmd import backup as cmd

    _privsep_in_process()
    return cmd.main()


if __name__ == "__main__":
    sys.exit(volume())
