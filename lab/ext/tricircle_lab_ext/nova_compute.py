"""``nova-compute`` that can load ``LabFakeDriver``.

Nova imports ``compute_driver`` only from the ``nova.virt`` namespace. Rather than writing
into nova's package, this launcher registers the lab driver module as
``nova.virt.tricircle_lab`` (config: ``compute_driver = tricircle_lab.LabFakeDriver``) and
runs nova's own ``nova-compute`` main.
"""

import sys


def main():
    from nova.cmd import compute  # first: nova.cmd applies eventlet monkey patching

    from tricircle_lab_ext import virt

    sys.modules.setdefault("nova.virt.tricircle_lab", virt)
    return compute.main()


if __name__ == "__main__":
    sys.exit(main())
