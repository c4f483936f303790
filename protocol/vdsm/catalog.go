// The method table in this file (Catalog) holds data extracted from oVirt VDSM's API schema:
// github.com/oVirt/vdsm, lib/vdsm/api/vdsm-api.yml at commit
// 05073edc586e07acebdaab855c4b431ae92e35ba. Gluster verbs, which live in a separate schema file
// (vdsm-api-gluster.yml), are left out. The same data, in schema order, is kept in
// testdata/vdsm-api/methods.txt, and catalog_test.go checks that the two agree.

package vdsm

// Param is one parameter of a VDSM method, in schema order.
type Param struct {
	// Name is the parameter's name as the schema spells it (the JSON-RPC named-param key).
	Name string
	// Optional reports whether the schema gives the parameter a defaultvalue.
	Optional bool
}

// Method is one method of VDSM's API schema.
type Method struct {
	// Name is the full JSON-RPC method name, "Namespace.verb" (e.g. "VM.getStats").
	Name string
	// Params lists the parameters in schema order. For object namespaces (VM, Image, Volume,
	// StorageDomain, ...) the constructor arguments (vmID, imageID, ...) come first, exactly as
	// the schema lists them. Callers must not modify it.
	Params []Param
}

// ParamNames is the schema order of a method's params (for naming positional params).
func (m Method) ParamNames() []string {
	names := make([]string, len(m.Params))
	for i, p := range m.Params {
		names[i] = p.Name
	}
	return names
}

// Lookup finds a method by its full name ("VM.getStats"). A name it does not find is not a
// VDSM verb at all (JSON-RPC -32601), as opposed to a VDSM verb this agent does not implement.
func Lookup(name string) (Method, bool) {
	i, ok := catalogIndex[name]
	if !ok {
		return Method{}, false
	}
	return Catalog[i], true
}

// catalogIndex maps a method name to its position in Catalog; built once, at package init.
var catalogIndex = func() map[string]int {
	idx := make(map[string]int, len(Catalog))
	for i, m := range Catalog {
		idx[m.Name] = i
	}
	return idx
}()

// catReq and catOpt keep the table below to one line per method.
func catReq(name string) Param { return Param{Name: name} }
func catOpt(name string) Param { return Param{Name: name, Optional: true} }

// Catalog lists every method of vdsm-api.yml (Gluster excluded), sorted by name.
var Catalog = []Method{
	{Name: "Host.abortV2VJob", Params: []Param{catReq("jobid")}},
	{Name: "Host.add_image_ticket", Params: []Param{catReq("ticket")}},
	{Name: "Host.confirmConnectivity"},
	{Name: "Host.convertExternalVm", Params: []Param{catReq("uri"), catReq("username"), catReq("password"), catReq("vminfo"), catReq("jobid")}},
	{Name: "Host.convertExternalVmFromOva", Params: []Param{catReq("ova_path"), catReq("vminfo"), catReq("jobid")}},
	{Name: "Host.deleteV2VJob", Params: []Param{catReq("jobid")}},
	{Name: "Host.dumpxmls", Params: []Param{catOpt("vmList")}},
	{Name: "Host.echo", Params: []Param{catReq("message")}},
	{Name: "Host.extend_image_ticket", Params: []Param{catReq("uuid"), catReq("timeout")}},
	{Name: "Host.fenceNode", Params: []Param{catReq("addr"), catReq("port"), catReq("agent"), catReq("username"), catReq("password"), catReq("action"), catOpt("secure"), catOpt("options"), catOpt("policy")}},
	{Name: "Host.getAllTasks"},
	{Name: "Host.getAllTasksInfo"},
	{Name: "Host.getAllTasksStatuses"},
	{Name: "Host.getAllVmIoTunePolicies"},
	{Name: "Host.getAllVmStats"},
	{Name: "Host.getCapabilities"},
	{Name: "Host.getConnectedStoragePools"},
	{Name: "Host.getConvertedVm", Params: []Param{catReq("jobid")}},
	{Name: "Host.getDeviceList", Params: []Param{catOpt("storageType"), catOpt("guids"), catOpt("checkStatus"), catOpt("refresh")}},
	{Name: "Host.getDevicesVisibility", Params: []Param{catReq("guidList")}},
	{Name: "Host.getExternalVMNames", Params: []Param{catReq("uri"), catReq("username"), catReq("password")}},
	{Name: "Host.getExternalVMs", Params: []Param{catReq("uri"), catReq("username"), catReq("password"), catOpt("vm_names")}},
	{Name: "Host.getExternalVmFromOva", Params: []Param{catReq("ova_path")}},
	{Name: "Host.getHardwareInfo"},
	{Name: "Host.getJobs", Params: []Param{catOpt("job_type"), catOpt("job_ids")}},
	{Name: "Host.getLVMVolumeGroups", Params: []Param{catOpt("storageType")}},
	{Name: "Host.getLldp", Params: []Param{catReq("filter")}},
	{Name: "Host.getNetworkCapabilities"},
	{Name: "Host.getNetworkStatistics"},
	{Name: "Host.getStats"},
	{Name: "Host.getStorageDomains", Params: []Param{catOpt("storagepoolID"), catOpt("domainClass"), catOpt("storageType"), catOpt("remotePath")}},
	{Name: "Host.getStorageRepoStats", Params: []Param{catOpt("domains")}},
	{Name: "Host.getVMFullList", Params: []Param{catOpt("vmList")}},
	{Name: "Host.getVMList", Params: []Param{catOpt("fullStatus"), catOpt("vmList"), catOpt("onlyUUID")}},
	{Name: "Host.get_image_ticket", Params: []Param{catReq("uuid")}},
	{Name: "Host.hostdevChangeNumvfs", Params: []Param{catReq("deviceName"), catReq("numvfs")}},
	{Name: "Host.hostdevListByCaps", Params: []Param{catOpt("caps")}},
	{Name: "Host.hostdevReattach", Params: []Param{catReq("deviceName")}},
	{Name: "Host.ping"},
	{Name: "Host.ping2"},
	{Name: "Host.registerSecrets", Params: []Param{catReq("secrets"), catOpt("clear")}},
	{Name: "Host.remove_image_ticket", Params: []Param{catReq("uuid")}},
	{Name: "Host.setHaMaintenanceMode", Params: []Param{catReq("mode"), catReq("enabled")}},
	{Name: "Host.setKsmTune", Params: []Param{catReq("tuningParams")}},
	{Name: "Host.setLogLevel", Params: []Param{catReq("level"), catOpt("name")}},
	{Name: "Host.setMOMPolicy", Params: []Param{catReq("policy")}},
	{Name: "Host.setMOMPolicyParameters", Params: []Param{catReq("key_value_store")}},
	{Name: "Host.setSafeNetworkConfig"},
	{Name: "Host.setupNetworks", Params: []Param{catReq("networks"), catReq("bondings"), catReq("options")}},
	{Name: "Host.startMonitoringDomain", Params: []Param{catReq("sdUUID"), catReq("hostID")}},
	{Name: "Host.stopMonitoringDomain", Params: []Param{catReq("sdUUID")}},
	{Name: "Host.unregisterSecrets", Params: []Param{catReq("uuids")}},
	{Name: "ISCSIConnection.discoverSendTargets", Params: []Param{catReq("host"), catReq("port"), catOpt("user"), catOpt("password"), catOpt("ipv6_enabled")}},
	{Name: "Image.cloneStructure", Params: []Param{catReq("imageID"), catReq("storagepoolID"), catReq("storagedomainID"), catReq("dstSdUUID")}},
	{Name: "Image.delete", Params: []Param{catReq("imageID"), catReq("storagepoolID"), catReq("storagedomainID"), catReq("postZero"), catReq("force"), catOpt("discard")}},
	{Name: "Image.deleteVolumes", Params: []Param{catReq("imageID"), catReq("storagepoolID"), catReq("storagedomainID"), catReq("volumeList"), catOpt("postZero"), catOpt("force"), catOpt("discard")}},
	{Name: "Image.download", Params: []Param{catReq("methodArgs"), catReq("storagepoolID"), catReq("storagedomainID"), catReq("imageID"), catOpt("volumeID")}},
	{Name: "Image.getVolumes", Params: []Param{catReq("imageID"), catReq("storagepoolID"), catReq("storagedomainID")}},
	{Name: "Image.move", Params: []Param{catReq("imageID"), catReq("storagepoolID"), catReq("storagedomainID"), catReq("dstSdUUID"), catReq("operation"), catReq("postZero"), catReq("force"), catOpt("discard")}},
	{Name: "Image.prepare", Params: []Param{catReq("storagepoolID"), catReq("storagedomainID"), catReq("imageID"), catReq("volumeID"), catOpt("allowIllegal")}},
	{Name: "Image.reconcileVolumeChain", Params: []Param{catReq("storagepoolID"), catReq("storagedomainID"), catReq("imageID"), catReq("leafVolID")}},
	{Name: "Image.syncData", Params: []Param{catReq("imageID"), catReq("storagepoolID"), catReq("storagedomainID"), catReq("dstSdUUID"), catReq("syncType")}},
	{Name: "Image.teardown", Params: []Param{catReq("storagepoolID"), catReq("storagedomainID"), catReq("imageID"), catOpt("volumeID")}},
	{Name: "Image.upload", Params: []Param{catReq("methodArgs"), catReq("storagepoolID"), catReq("storagedomainID"), catReq("imageID"), catOpt("volumeID")}},
	{Name: "LVMVolumeGroup.create", Params: []Param{catOpt("lvmvolumegroupID"), catReq("name"), catReq("devlist"), catOpt("force")}},
	{Name: "LVMVolumeGroup.getInfo", Params: []Param{catReq("lvmvolumegroupID")}},
	{Name: "LVMVolumeGroup.remove", Params: []Param{catReq("lvmvolumegroupID")}},
	{Name: "Lease.create", Params: []Param{catReq("lease"), catOpt("metadata")}},
	{Name: "Lease.delete", Params: []Param{catReq("lease")}},
	{Name: "Lease.fence", Params: []Param{catReq("lease"), catReq("metadata")}},
	{Name: "Lease.info", Params: []Param{catReq("lease")}},
	{Name: "Lease.rebuild_leases", Params: []Param{catReq("sd_id")}},
	{Name: "Lease.status", Params: []Param{catReq("lease")}},
	{Name: "ManagedVolume.attach_volume", Params: []Param{catReq("vol_id"), catReq("connection_info"), catOpt("sd_id")}},
	{Name: "ManagedVolume.detach_volume", Params: []Param{catReq("vol_id"), catOpt("sd_id")}},
	{Name: "ManagedVolume.volumes_info", Params: []Param{catOpt("vol_ids")}},
	{Name: "NBD.start_server", Params: []Param{catReq("server_id"), catReq("config")}},
	{Name: "NBD.stop_server", Params: []Param{catReq("server_id")}},
	{Name: "SDM.add_bitmap", Params: []Param{catReq("job_id"), catReq("vol_info"), catReq("bitmap")}},
	{Name: "SDM.amend_volume", Params: []Param{catReq("job_id"), catReq("vol_info"), catReq("qcow2_attr")}},
	{Name: "SDM.clear_bitmaps", Params: []Param{catReq("job_id"), catReq("vol_info")}},
	{Name: "SDM.copy_data", Params: []Param{catReq("job_id"), catReq("source"), catReq("destination"), catOpt("copy_bitmaps")}},
	{Name: "SDM.merge", Params: []Param{catReq("job_id"), catReq("subchain_info"), catOpt("merge_bitmaps")}},
	{Name: "SDM.move_domain_device", Params: []Param{catReq("job_id"), catReq("move_params")}},
	{Name: "SDM.reduce_domain", Params: []Param{catReq("job_id"), catReq("reduce_params")}},
	{Name: "SDM.remove_bitmap", Params: []Param{catReq("job_id"), catReq("vol_info"), catReq("bitmap")}},
	{Name: "SDM.sparsify_volume", Params: []Param{catReq("job_id"), catReq("vol_info")}},
	{Name: "SDM.update_volume", Params: []Param{catReq("job_id"), catReq("vol_info"), catReq("vol_attr")}},
	{Name: "StorageDomain.activate", Params: []Param{catReq("storagedomainID"), catReq("storagepoolID")}},
	{Name: "StorageDomain.attach", Params: []Param{catReq("storagedomainID"), catReq("storagepoolID")}},
	{Name: "StorageDomain.create", Params: []Param{catReq("storagedomainID"), catReq("domainType"), catReq("typeArgs"), catReq("name"), catReq("domainClass"), catOpt("version"), catOpt("blockSize"), catOpt("maxHosts")}},
	{Name: "StorageDomain.deactivate", Params: []Param{catReq("storagedomainID"), catReq("storagepoolID"), catReq("masterSdUUID"), catReq("masterVersion")}},
	{Name: "StorageDomain.detach", Params: []Param{catReq("storagedomainID"), catReq("storagepoolID"), catOpt("masterSdUUID"), catOpt("masterVersion"), catOpt("force")}},
	{Name: "StorageDomain.dump", Params: []Param{catReq("sd_id"), catOpt("full")}},
	{Name: "StorageDomain.extend", Params: []Param{catReq("storagedomainID"), catReq("storagepoolID"), catReq("devlist"), catOpt("force")}},
	{Name: "StorageDomain.format", Params: []Param{catReq("storagedomainID"), catReq("autoDetach")}},
	{Name: "StorageDomain.getFileStats", Params: []Param{catReq("storagedomainID"), catReq("pattern"), catReq("caseSensitive")}},
	{Name: "StorageDomain.getImages", Params: []Param{catReq("storagedomainID")}},
	{Name: "StorageDomain.getInfo", Params: []Param{catReq("storagedomainID")}},
	{Name: "StorageDomain.getStats", Params: []Param{catReq("storagedomainID")}},
	{Name: "StorageDomain.getVolumes", Params: []Param{catReq("storagedomainID"), catReq("storagepoolID"), catReq("imageID")}},
	{Name: "StorageDomain.resizePV", Params: []Param{catReq("storagedomainID"), catReq("storagepoolID"), catReq("guid")}},
	{Name: "StorageDomain.setDescription", Params: []Param{catReq("storagedomainID"), catReq("description")}},
	{Name: "StorageDomain.validate", Params: []Param{catReq("storagedomainID")}},
	{Name: "StoragePool.connect", Params: []Param{catReq("storagepoolID"), catReq("hostID"), catReq("scsiKey"), catReq("masterSdUUID"), catReq("masterVersion"), catOpt("domainDict")}},
	{Name: "StoragePool.connectStorageServer", Params: []Param{catReq("storagepoolID"), catReq("domainType"), catReq("connectionParams")}},
	{Name: "StoragePool.create", Params: []Param{catReq("storagepoolID"), catReq("name"), catReq("masterSdUUID"), catReq("masterVersion"), catReq("domainList"), catReq("lockRenewalIntervalSec"), catReq("leaseTimeSec"), catReq("ioOpTimeoutSec"), catReq("leaseRetries")}},
	{Name: "StoragePool.destroy", Params: []Param{catReq("storagepoolID"), catReq("hostID"), catReq("scsiKey")}},
	{Name: "StoragePool.disconnect", Params: []Param{catReq("storagepoolID"), catReq("hostID"), catReq("scsiKey"), catOpt("remove")}},
	{Name: "StoragePool.disconnectStorageServer", Params: []Param{catReq("storagepoolID"), catReq("domainType"), catReq("connectionParams")}},
	{Name: "StoragePool.finalizeMerge", Params: []Param{catReq("storagepoolID"), catReq("subchainInfo")}},
	{Name: "StoragePool.getBackedUpVmsInfo", Params: []Param{catReq("storagepoolID"), catReq("storagedomainID"), catReq("vmList")}},
	{Name: "StoragePool.getBackedUpVmsList", Params: []Param{catReq("storagepoolID"), catReq("storagedomainID")}},
	{Name: "StoragePool.getDomainsContainingImage", Params: []Param{catReq("storagepoolID"), catReq("imageID")}},
	{Name: "StoragePool.getInfo", Params: []Param{catReq("storagepoolID")}},
	{Name: "StoragePool.getSpmStatus", Params: []Param{catReq("storagepoolID")}},
	{Name: "StoragePool.prepareMerge", Params: []Param{catReq("storagepoolID"), catReq("subchainInfo")}},
	{Name: "StoragePool.reconstructMaster", Params: []Param{catReq("storagepoolID"), catReq("hostId"), catReq("name"), catReq("masterSdUUID"), catReq("masterVersion"), catReq("domainDict"), catReq("lockRenewalIntervalSec"), catReq("leaseTimeSec"), catReq("ioOpTimeoutSec"), catReq("leaseRetries")}},
	{Name: "StoragePool.reduceVolume", Params: []Param{catReq("storagepoolID"), catReq("storagedomainID"), catReq("imageID"), catReq("volumeID"), catOpt("allowActive")}},
	{Name: "StoragePool.refresh", Params: []Param{catReq("storagepoolID"), catReq("masterSdUUID"), catReq("masterVersion")}},
	{Name: "StoragePool.removeVM", Params: []Param{catReq("storagepoolID"), catReq("vmUUID"), catOpt("storagedomainID")}},
	{Name: "StoragePool.setDescription", Params: []Param{catReq("storagepoolID"), catReq("description")}},
	{Name: "StoragePool.spmStart", Params: []Param{catReq("storagepoolID"), catReq("prevID"), catReq("prevLver"), catReq("enableScsiFencing"), catOpt("maxHostID"), catOpt("domVersion")}},
	{Name: "StoragePool.spmStop", Params: []Param{catReq("storagepoolID")}},
	{Name: "StoragePool.switchMaster", Params: []Param{catReq("storagepoolID"), catReq("oldMasterUUID"), catReq("newMasterUUID"), catReq("masterVersion")}},
	{Name: "StoragePool.updateVMs", Params: []Param{catReq("storagepoolID"), catReq("vmList"), catOpt("storagedomainID")}},
	{Name: "StoragePool.upgrade", Params: []Param{catReq("storagepoolID"), catReq("targetDomVersion")}},
	{Name: "Task.clear", Params: []Param{catReq("taskID")}},
	{Name: "Task.getInfo", Params: []Param{catReq("taskID")}},
	{Name: "Task.getStatus", Params: []Param{catReq("taskID")}},
	{Name: "Task.revert", Params: []Param{catReq("taskID")}},
	{Name: "Task.stop", Params: []Param{catReq("taskID")}},
	{Name: "VM.backup_info", Params: []Param{catReq("vmID"), catReq("backup_id"), catOpt("checkpoint_id")}},
	{Name: "VM.changeCD", Params: []Param{catReq("vmID"), catReq("driveSpec")}},
	{Name: "VM.changeFloppy", Params: []Param{catReq("vmID"), catReq("driveSpec")}},
	{Name: "VM.cont", Params: []Param{catReq("vmID")}},
	{Name: "VM.create", Params: []Param{catReq("vmID"), catReq("vmParams")}},
	{Name: "VM.delete_checkpoints", Params: []Param{catReq("vmID"), catReq("checkpoint_ids")}},
	{Name: "VM.desktopLock", Params: []Param{catReq("vmID")}},
	{Name: "VM.desktopLogin", Params: []Param{catReq("vmID"), catReq("domain"), catReq("username"), catReq("password")}},
	{Name: "VM.desktopLogoff", Params: []Param{catReq("vmID"), catReq("force")}},
	{Name: "VM.desktopSendHcCommand", Params: []Param{catReq("vmID"), catReq("message")}},
	{Name: "VM.destroy", Params: []Param{catReq("vmID"), catOpt("gracefulAttempts")}},
	{Name: "VM.diskReplicateFinish", Params: []Param{catReq("vmID"), catReq("srcDisk"), catReq("dstDisk")}},
	{Name: "VM.diskReplicateStart", Params: []Param{catReq("vmID"), catReq("srcDisk"), catReq("dstDisk"), catOpt("needExtend")}},
	{Name: "VM.diskSizeExtend", Params: []Param{catReq("vmID"), catReq("driveSpecs"), catReq("newSize")}},
	{Name: "VM.dump_checkpoint", Params: []Param{catReq("vmID"), catReq("checkpoint_id")}},
	{Name: "VM.freeze", Params: []Param{catReq("vmID")}},
	{Name: "VM.getDiskAlignment", Params: []Param{catReq("vmID"), catReq("disk")}},
	{Name: "VM.getExternalData", Params: []Param{catReq("vmID"), catReq("kind"), catOpt("lastHash"), catOpt("forceUpdate")}},
	{Name: "VM.getInfo", Params: []Param{catReq("vmID")}},
	{Name: "VM.getIoTune", Params: []Param{catReq("vmID")}},
	{Name: "VM.getIoTunePolicy", Params: []Param{catReq("vmID")}},
	{Name: "VM.getMigrationStatus", Params: []Param{catReq("vmID")}},
	{Name: "VM.getStats", Params: []Param{catReq("vmID")}},
	{Name: "VM.hibernate", Params: []Param{catReq("vmID"), catReq("hibernationVolHandle")}},
	{Name: "VM.hotplugDisk", Params: []Param{catReq("vmID"), catReq("params")}},
	{Name: "VM.hotplugHostdev", Params: []Param{catReq("vmID"), catReq("devices")}},
	{Name: "VM.hotplugLease", Params: []Param{catReq("vmID"), catReq("lease")}},
	{Name: "VM.hotplugMemory", Params: []Param{catReq("vmID"), catReq("params")}},
	{Name: "VM.hotplugNic", Params: []Param{catReq("vmID"), catReq("params")}},
	{Name: "VM.hotunplugDisk", Params: []Param{catReq("vmID"), catReq("params")}},
	{Name: "VM.hotunplugHostdev", Params: []Param{catReq("vmID"), catReq("devices")}},
	{Name: "VM.hotunplugLease", Params: []Param{catReq("vmID"), catReq("lease")}},
	{Name: "VM.hotunplugMemory", Params: []Param{catReq("vmID"), catReq("params")}},
	{Name: "VM.hotunplugNic", Params: []Param{catReq("vmID"), catReq("params")}},
	{Name: "VM.list_checkpoints", Params: []Param{catReq("vmID")}},
	{Name: "VM.merge", Params: []Param{catReq("vmID"), catReq("drive"), catReq("baseVolUUID"), catReq("topVolUUID"), catOpt("bandwidth"), catOpt("jobUUID")}},
	{Name: "VM.migrate", Params: []Param{catReq("vmID"), catReq("params")}},
	{Name: "VM.migrateCancel", Params: []Param{catReq("vmID")}},
	{Name: "VM.migrateChangeParams", Params: []Param{catReq("vmID"), catReq("params")}},
	{Name: "VM.migrationCreate", Params: []Param{catReq("vmID"), catReq("params"), catReq("incomingLimit")}},
	{Name: "VM.pause", Params: []Param{catReq("vmID")}},
	{Name: "VM.redefine_checkpoints", Params: []Param{catReq("vmID"), catReq("checkpoints")}},
	{Name: "VM.refresh_disk", Params: []Param{catReq("vmID"), catReq("drive")}},
	{Name: "VM.reset", Params: []Param{catReq("vmID")}},
	{Name: "VM.screenshot", Params: []Param{catReq("vmID")}},
	{Name: "VM.seal", Params: []Param{catReq("vmID"), catReq("job_id"), catReq("sp_id"), catReq("images")}},
	{Name: "VM.setBalloonTarget", Params: []Param{catReq("vmID"), catReq("target")}},
	{Name: "VM.setCpuTunePeriod", Params: []Param{catReq("vmID"), catReq("period")}},
	{Name: "VM.setCpuTuneQuota", Params: []Param{catReq("vmID"), catReq("quota")}},
	{Name: "VM.setDestroyOnReboot", Params: []Param{catReq("vmID")}},
	{Name: "VM.setIoTune", Params: []Param{catReq("vmID"), catReq("tunables")}},
	{Name: "VM.setNumberOfCpus", Params: []Param{catReq("vmID"), catReq("numberOfCpus"), catOpt("cpusets")}},
	{Name: "VM.setTicket", Params: []Param{catReq("vmID"), catReq("password"), catReq("ttl"), catReq("existingConnAction"), catReq("params")}},
	{Name: "VM.shutdown", Params: []Param{catReq("vmID"), catOpt("delay"), catOpt("message"), catOpt("reboot"), catOpt("timeout"), catOpt("force")}},
	{Name: "VM.snapshot", Params: []Param{catReq("vmID"), catReq("snapDrives"), catOpt("snapMemory"), catOpt("frozen"), catOpt("jobUUID"), catOpt("timeout"), catOpt("freeze_timeout")}},
	{Name: "VM.start_backup", Params: []Param{catReq("vmID"), catReq("config")}},
	{Name: "VM.stop_backup", Params: []Param{catReq("vmID"), catReq("backup_id")}},
	{Name: "VM.thaw", Params: []Param{catReq("vmID")}},
	{Name: "VM.updateDevice", Params: []Param{catReq("vmID"), catReq("params")}},
	{Name: "VM.updateVmPolicy", Params: []Param{catReq("vmID"), catReq("params")}},
	{Name: "Volume.copy", Params: []Param{catReq("volumeID"), catReq("storagepoolID"), catReq("storagedomainID"), catReq("imageID"), catReq("dstSdUUID"), catReq("dstImgUUID"), catReq("dstVolUUID"), catReq("desc"), catReq("volType"), catReq("volFormat"), catReq("preallocate"), catReq("postZero"), catReq("force"), catOpt("discard")}},
	{Name: "Volume.create", Params: []Param{catReq("volumeID"), catReq("storagepoolID"), catReq("storagedomainID"), catReq("imageID"), catReq("size"), catReq("volFormat"), catReq("preallocate"), catReq("diskType"), catReq("desc"), catReq("srcImgUUID"), catReq("srcVolUUID"), catOpt("initialSize"), catOpt("addBitmaps"), catOpt("legal"), catOpt("sequence"), catOpt("bitmap")}},
	{Name: "Volume.delete", Params: []Param{catReq("volumeID"), catReq("storagepoolID"), catReq("storagedomainID"), catReq("imageID"), catReq("postZero"), catReq("force"), catOpt("discard")}},
	{Name: "Volume.extendSize", Params: []Param{catReq("storagepoolID"), catReq("storagedomainID"), catReq("imageID"), catReq("volumeID"), catReq("newSize")}},
	{Name: "Volume.getInfo", Params: []Param{catReq("volumeID"), catReq("storagepoolID"), catReq("storagedomainID"), catReq("imageID")}},
	{Name: "Volume.getQemuImageInfo", Params: []Param{catReq("volumeID"), catReq("storagepoolID"), catReq("storagedomainID"), catReq("imageID")}},
	{Name: "Volume.getSize", Params: []Param{catReq("volumeID"), catReq("storagepoolID"), catReq("storagedomainID"), catReq("imageID")}},
	{Name: "Volume.measure", Params: []Param{catReq("volumeID"), catReq("storagepoolID"), catReq("storagedomainID"), catReq("imageID"), catReq("dstVolFormat"), catOpt("backing_chain"), catOpt("baseID")}},
	{Name: "Volume.refresh", Params: []Param{catReq("volumeID"), catReq("storagepoolID"), catReq("storagedomainID"), catReq("imageID")}},
	{Name: "Volume.setDescription", Params: []Param{catReq("volumeID"), catReq("storagepoolID"), catReq("storagedomainID"), catReq("imageID"), catReq("description")}},
	{Name: "Volume.setLegality", Params: []Param{catReq("volumeID"), catReq("storagepoolID"), catReq("storagedomainID"), catReq("imageID"), catReq("legality")}},
	{Name: "Volume.teardown", Params: []Param{catReq("storagedomainID"), catReq("imageID"), catReq("volumeID")}},
	{Name: "Volume.verify_untrusted", Params: []Param{catReq("storagepoolID"), catReq("storagedomainID"), catReq("imageID"), catReq("volumeID")}},
}
