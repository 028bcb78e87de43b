"""The subset of NRI's and ttrpc's protobuf messages the runtime side needs, declared here and
built with protobuf's descriptor APIs (no generated code). Field numbers are NRI v0.9.0's
``pkg/api/api.proto`` and ttrpc's ``request.proto``; fields we do not declare are kept as
unknown fields by protobuf and ignored."""
from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

F = descriptor_pb2.FieldDescriptorProto
STRING, BYTES, BOOL, INT32, INT64, UINT64, UINT32 = (F.TYPE_STRING, F.TYPE_BYTES, F.TYPE_BOOL, F.TYPE_INT32,
                                                     F.TYPE_INT64, F.TYPE_UINT64, F.TYPE_UINT32)
MAP = "map"  # map<string, string>

NRI_PACKAGE = "nri.pkg.api.v1alpha1"

# message name -> [(field name, number, type or message name, repeated)]
NRI_MESSAGES: dict[str, list[tuple[str, int, object, bool]]] = {
    "Empty": [],
    "RegisterPluginRequest": [("plugin_name", 1, STRING, False), ("plugin_idx", 2, STRING, False)],
    "UpdateContainersRequest": [("update", 1, "ContainerUpdate", True), ("evict", 2, "ContainerEviction", True)],
    "UpdateContainersResponse": [("failed", 1, "ContainerUpdate", True)],
    "ConfigureRequest": [("config", 1, STRING, False), ("runtime_name", 2, STRING, False),
                         ("runtime_version", 3, STRING, False), ("registration_timeout", 4, INT64, False),
                         ("request_timeout", 5, INT64, False)],
    "ConfigureResponse": [("events", 2, INT32, False)],
    "SynchronizeRequest": [("pods", 1, "PodSandbox", True), ("containers", 2, "Container", True),
                           ("more", 3, BOOL, False)],
    "SynchronizeResponse": [("update", 1, "ContainerUpdate", True), ("more", 2, BOOL, False)],
    "CreateContainerRequest": [("pod", 1, "PodSandbox", False), ("container", 2, "Container", False)],
    "CreateContainerResponse": [("adjust", 1, "ContainerAdjustment", False),
                                ("update", 2, "ContainerUpdate", True), ("evict", 3, "ContainerEviction", True)],
    "UpdateContainerRequest": [("pod", 1, "PodSandbox", False), ("container", 2, "Container", False),
                               ("linux_resources", 3, "LinuxResources", False)],
    "UpdateContainerResponse": [("update", 1, "ContainerUpdate", True), ("evict", 2, "ContainerEviction", True)],
    "StateChangeEvent": [("event", 1, INT32, False), ("pod", 2, "PodSandbox", False),
                         ("container", 3, "Container", False)],
    "PodSandbox": [("id", 1, STRING, False), ("name", 2, STRING, False), ("uid", 3, STRING, False),
                   ("namespace", 4, STRING, False), ("labels", 5, MAP, False), ("annotations", 6, MAP, False),
                   ("runtime_handler", 7, STRING, False)],
    "Container": [("id", 1, STRING, False), ("pod_sandbox_id", 2, STRING, False), ("name", 3, STRING, False),
                  ("state", 4, INT32, False), ("labels", 5, MAP, False), ("annotations", 6, MAP, False),
                  ("args", 7, STRING, True), ("linux", 11, "LinuxContainer", False)],
    "LinuxContainer": [("resources", 3, "LinuxResources", False), ("cgroups_path", 5, STRING, False)],
    "LinuxResources": [("memory", 1, "LinuxMemory", False), ("cpu", 2, "LinuxCPU", False)],
    "LinuxMemory": [("limit", 1, "OptionalInt64", False)],
    "LinuxCPU": [("shares", 1, "OptionalUInt64", False), ("quota", 2, "OptionalInt64", False),
                 ("period", 3, "OptionalUInt64", False), ("cpus", 6, STRING, False), ("mems", 7, STRING, False)],
    "ContainerAdjustment": [("linux", 6, "LinuxContainerAdjustment", False)],
    "LinuxContainerAdjustment": [("resources", 2, "LinuxResources", False)],
    "ContainerUpdate": [("container_id", 1, STRING, False), ("linux", 2, "LinuxContainerUpdate", False),
                        ("ignore_failure", 3, BOOL, False)],
    "LinuxContainerUpdate": [("resources", 1, "LinuxResources", False)],
    "ContainerEviction": [("container_id", 1, STRING, False), ("reason", 2, STRING, False)],
    "OptionalInt64": [("value", 1, INT64, False)],
    "OptionalUInt64": [("value", 1, UINT64, False)],
}

TTRPC_PACKAGE = "ttrpc"
TTRPC_MESSAGES: dict[str, list[tuple[str, int, object, bool]]] = {
    "KeyValue": [("key", 1, STRING, False), ("value", 2, STRING, False)],
    "Request": [("service", 1, STRING, False), ("method", 2, STRING, False), ("payload", 3, BYTES, False),
                ("timeout_nano", 4, INT64, False), ("metadata", 5, "KeyValue", True)],
    "Status": [("code", 1, INT32, False), ("message", 2, STRING, False)],
    "Response": [("status", 1, "Status", False), ("payload", 2, BYTES, False)],
}


def _file(name: str, package: str, messages: dict[str, list[tuple[str, int, object, bool]]]
          ) -> descriptor_pb2.FileDescriptorProto:
    fdp = descriptor_pb2.FileDescriptorProto(name=name, package=package, syntax="proto3")
    for msg_name, fields in messages.items():
        msg = fdp.message_type.add(name=msg_name)
        for field_name, number, kind, repeated in fields:
            field = msg.field.add(name=field_name, number=number,
                                  label=F.LABEL_REPEATED if repeated or kind == MAP else F.LABEL_OPTIONAL)
            if kind == MAP:
                entry_name = "".join(p.capitalize() for p in field_name.split("_")) + "Entry"
                entry = msg.nested_type.add(name=entry_name)
                entry.options.map_entry = True
                entry.field.add(name="key", number=1, type=STRING, label=F.LABEL_OPTIONAL)
                entry.field.add(name="value", number=2, type=STRING, label=F.LABEL_OPTIONAL)
                field.type = F.TYPE_MESSAGE
                field.type_name = f".{package}.{msg_name}.{entry_name}"
            elif isinstance(kind, str):
                field.type = F.TYPE_MESSAGE
                field.type_name = f".{package}.{kind}"
            else:
                field.type = kind  # type: ignore[assignment]
    return fdp


_POOL = descriptor_pool.DescriptorPool()
_POOL.Add(_file("nrisim/nri_subset.proto", NRI_PACKAGE, NRI_MESSAGES))
_POOL.Add(_file("nrisim/ttrpc_subset.proto", TTRPC_PACKAGE, TTRPC_MESSAGES))


def message(name: str) -> type:
    """The message class of ``name`` ("Container", or "ttrpc.Request")."""
    full = name if "." in name else f"{NRI_PACKAGE}.{name}"
    return message_factory.GetMessageClass(_POOL.FindMessageTypeByName(full))


class M:
    """The message classes by name, for readable call sites."""

    Empty = message("Empty")
    RegisterPluginRequest = message("RegisterPluginRequest")
    UpdateContainersRequest = message("UpdateContainersRequest")
    UpdateContainersResponse = message("UpdateContainersResponse")
    ConfigureRequest = message("ConfigureRequest")
    ConfigureResponse = message("ConfigureResponse")
    SynchronizeRequest = message("SynchronizeRequest")
    SynchronizeResponse = message("SynchronizeResponse")
    CreateContainerRequest = message("CreateContainerRequest")
    CreateContainerResponse = message("CreateContainerResponse")
    UpdateContainerRequest = message("UpdateContainerRequest")
    UpdateContainerResponse = message("UpdateContainerResponse")
    StateChangeEvent = message("StateChangeEvent")
    PodSandbox = message("PodSandbox")
    Container = message("Container")
    ContainerUpdate = message("ContainerUpdate")
    Request = message("ttrpc.Request")
    Response = message("ttrpc.Response")
    Status = message("ttrpc.Status")


# Event numbers (api.proto's enum Event); a plugin's mask has bit 1 << (event - 1)
RUN_POD_SANDBOX, STOP_POD_SANDBOX, REMOVE_POD_SANDBOX, CREATE_CONTAINER = 1, 2, 3, 4
POST_CREATE_CONTAINER, START_CONTAINER, POST_START_CONTAINER, UPDATE_CONTAINER = 5, 6, 7, 8
POST_UPDATE_CONTAINER, STOP_CONTAINER, REMOVE_CONTAINER = 9, 10, 11
CONTAINER_CREATED, CONTAINER_RUNNING, CONTAINER_STOPPED = 1, 3, 4


def subscribed(mask: int, event: int) -> bool:
    return bool(mask & (1 << (event - 1)))
