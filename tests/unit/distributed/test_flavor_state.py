from tricircle.distributed.flavors import FlavorState
from tricircle.distributed.keypairs import import_body, sync_key


def flavor(**kw):
    base = {"name": "f", "ram": 64, "vcpus": 1, "disk": 1, "swap": "",
            "OS-FLV-EXT-DATA:ephemeral": 0, "os-flavor-access:is_public": True}
    return FlavorState({**base, **kw})


def test_no_swap_reads_the_same_at_every_microversion():
    assert flavor(swap="").immutable() == flavor(swap=0).immutable()


def test_a_different_ram_or_visibility_is_a_different_flavor():
    assert flavor(ram=128).immutable() != flavor().immutable()
    assert flavor(**{"os-flavor-access:is_public": False}).immutable() != flavor().immutable()


def test_description_is_not_immutable():
    assert flavor(description="x").immutable() == flavor().immutable()


def test_keypair_import_body_never_carries_the_private_key():
    body = import_body({"name": "k", "public_key": "ssh-rsa A", "private_key": "SECRET",
                        "type": "ssh", "fingerprint": "f"}, "u1")
    assert body == {"keypair": {"name": "k", "public_key": "ssh-rsa A", "type": "ssh",
                                "user_id": "u1"}}
    assert sync_key("u1", "k") == "u1/k"
