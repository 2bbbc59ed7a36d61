"""The files of the demo's synthetic nova at its first commit (see demosrc.py for its history)."""

from __future__ import annotations

GITREVIEW = """\
[gerrit]
host=review.opendev.org
port=29418
project=openstack/nova.git
"""

README = """\
==============
OpenStack Nova
==============

Nova is the OpenStack project that provides a way to provision compute instances
(aka virtual servers). This is a small synthetic copy of it, built by `patchq demo`.

* Documentation: https://docs.openstack.org/nova/latest/
* Bugs: https://bugs.launchpad.net/nova
"""

SETUP_CFG = """\
[metadata]
name = nova
summary = Cloud computing fabric controller
description_file = README.rst
author = OpenStack
author_email = openstack-discuss@lists.openstack.org
home_page = https://docs.openstack.org/nova/latest/
python_requires = >=3.9

[files]
packages =
    nova

[entry_points]
console_scripts =
    nova-compute = nova.cmd.compute:main
    nova-scheduler = nova.cmd.scheduler:main
"""

REQUIREMENTS = """\
pbr>=5.8.0 # Apache-2.0
oslo.config>=8.6.0 # Apache-2.0
oslo.log>=4.6.1 # Apache-2.0
"""

VERSION_PY = '''\
"""Version information for nova."""

import pbr.version

NOVA_VENDOR = "OpenStack Foundation"
NOVA_PRODUCT = "OpenStack Nova"
NOVA_PACKAGE = None  # OS distro package version suffix

version_info = pbr.version.VersionInfo("nova")


def vendor_string():
    return NOVA_VENDOR


def product_string():
    return NOVA_PRODUCT


def version_string():
    return version_info.version_string()


def version_string_with_package():
    if NOVA_PACKAGE is None:
        return version_string()
    return "%s-%s" % (version_string(), NOVA_PACKAGE)
'''

CONF_COMPUTE = '''\
"""Options for the nova-compute service."""

from oslo_config import cfg

ALL_OPTS = [
    cfg.StrOpt(
        "state_path",
        default="$pybasedir",
        help="Top-level directory for maintaining nova's state.",
    ),
    cfg.FloatOpt(
        "initial_cpu_allocation_ratio",
        default=16.0,
        min=0.0,
        help="Virtual CPU to physical CPU allocation ratio for new compute nodes.",
    ),
    cfg.FloatOpt(
        "initial_ram_allocation_ratio",
        default=1.0,
        min=0.0,
        help="Virtual RAM to physical RAM allocation ratio for new compute nodes.",
    ),
    cfg.IntOpt(
        "resize_confirm_window",
        default=0,
        min=0,
        help="Automatically confirm resizes after N seconds; 0 disables it.",
    ),
]


def register_opts(conf):
    conf.register_opts(ALL_OPTS)


def list_opts():
    return {"DEFAULT": ALL_OPTS}
'''

CONF_LIBVIRT = '''\
"""Options for the libvirt driver."""

from oslo_config import cfg

libvirt_group = cfg.OptGroup("libvirt", title="Libvirt Options")

libvirt_opts = [
    cfg.StrOpt(
        "images_type",
        default="default",
        choices=("raw", "flat", "qcow2", "lvm", "rbd", "ploop", "default"),
        help="VM images format.",
    ),
    cfg.StrOpt(
        "images_rbd_pool",
        default="rbd",
        help="The RADOS pool in which rbd volumes are stored.",
    ),
    cfg.IntOpt(
        "rbd_connect_timeout",
        default=5,
        help="Timeout in seconds for a connection to the Ceph cluster.",
    ),
]


def register_opts(conf):
    conf.register_group(libvirt_group)
    conf.register_opts(libvirt_opts, group=libvirt_group)
'''

CONF_VNC = '''\
"""Options for the VNC console."""

from oslo_config import cfg

vnc_group = cfg.OptGroup("vnc", title="VNC options")

ALL_OPTS = [
    cfg.BoolOpt("enabled", default=True, help="Enable VNC related features."),
    cfg.HostAddressOpt(
        "server_listen",
        default="127.0.0.1",
        help="The IP address on which the VNC server listens.",
    ),
    cfg.URIOpt(
        "novncproxy_base_url",
        default="http://127.0.0.1:6080/vnc_auto.html",
        help="Public address of the noVNC console proxy.",
    ),
]


def register_opts(conf):
    conf.register_group(vnc_group)
    conf.register_opts(ALL_OPTS, group=vnc_group)
'''

RBD_UTILS = '''\
"""Helpers for the Ceph RBD image backend."""

from oslo_log import log as logging

import nova.conf

try:
    import rados
    import rbd
except ImportError:
    rados = None
    rbd = None

CONF = nova.conf.CONF
LOG = logging.getLogger(__name__)


class RBDDriver:
    def __init__(self, pool, user=None, ceph_conf=None, connect_timeout=None):
        self.pool = pool
        self.rbd_user = user
        self.ceph_conf = ceph_conf
        self.rbd_connect_timeout = connect_timeout or CONF.libvirt.rbd_connect_timeout

    def _connect_to_rados(self, pool=None):
        client = rados.Rados(rados_id=self.rbd_user, conffile=self.ceph_conf)
        try:
            client.connect(timeout=self.rbd_connect_timeout)
            pool_to_open = pool or self.pool
            ioctx = client.open_ioctx(pool_to_open)
            return client, ioctx
        except rados.Error:
            # shutdown cannot raise an exception
            client.shutdown()
            raise

    def get_pool_info(self):
        client, ioctx = self._connect_to_rados()
        try:
            stats = client.get_cluster_stats()
            return {
                "total": stats["kb"] * 1024,
                "free": stats["kb_avail"] * 1024,
                "used": stats["kb_used"] * 1024,
            }
        finally:
            ioctx.close()
            client.shutdown()
'''

COMPUTE_MANAGER = '''\
"""Handles all processes relating to instances (guest vms)."""

from oslo_log import log as logging

import nova.conf
from nova import exception
from nova import utils

CONF = nova.conf.CONF
LOG = logging.getLogger(__name__)


class ComputeManager:
    """Manages the running instances from creation to destruction."""

    def __init__(self, driver):
        self.driver = driver
        self._resize_locks = {}

    def rebuild_instance(self, context, instance, image_ref, admin_password):
        LOG.info("Rebuilding instance with admin password %s", admin_password,
                 instance=instance)
        self.driver.rebuild(context, instance, image_ref, admin_password)
        instance.task_state = None
        instance.save()

    def resize_instance(self, context, instance, flavor):
        lock = self._resize_locks.setdefault(instance.uuid, utils.Lock())
        lock.acquire()
        try:
            self.driver.migrate_disk_and_power_off(context, instance, flavor)
        except exception.ResizeError:
            LOG.exception("Resize failed", instance=instance)
            raise
        lock.release()
        instance.task_state = "resize_migrated"
        instance.save()

    def unshelve_instance(self, context, instance, image):
        try:
            self.driver.spawn(context, instance, image)
        except Exception:
            LOG.error("Unshelve failed")
            raise
        instance.vm_state = "active"
        instance.task_state = None
        instance.save()
'''

EXTRA_SPECS = '''\
"""Validators for flavor extra specs."""

from nova import exception

WATCHDOG_ACTIONS = ("disabled", "reset", "poweroff", "pause", "none")


def validate_cpu_policy(value):
    if value not in ("shared", "dedicated", "mixed"):
        raise exception.ValidationError(f"Invalid hw:cpu_policy {value!r}")


def validate(name, value):
    if name == "hw:cpu_policy":
        validate_cpu_policy(value)
'''

INITIAL_TREE: dict[str, str] = {
    ".gitreview": GITREVIEW,
    "README.rst": README,
    "setup.cfg": SETUP_CFG,
    "requirements.txt": REQUIREMENTS,
    "nova/__init__.py": '"""OpenStack Compute (nova)."""\n',
    "nova/version.py": VERSION_PY,
    "nova/conf/compute.py": CONF_COMPUTE,
    "nova/conf/libvirt.py": CONF_LIBVIRT,
    "nova/conf/vnc.py": CONF_VNC,
    "nova/virt/libvirt/storage/rbd_utils.py": RBD_UTILS,
    "nova/compute/manager.py": COMPUTE_MANAGER,
    "nova/api/validation/extra_specs.py": EXTRA_SPECS,
}
