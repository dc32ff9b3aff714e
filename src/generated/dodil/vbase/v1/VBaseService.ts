// Original file: proto/dodil/vbase/v1/vbase.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { Backup as _dodil_vbase_v1_Backup, Backup__Output as _dodil_vbase_v1_Backup__Output } from '../../../dodil/vbase/v1/Backup.js';
import type { BackupPolicy as _dodil_vbase_v1_BackupPolicy, BackupPolicy__Output as _dodil_vbase_v1_BackupPolicy__Output } from '../../../dodil/vbase/v1/BackupPolicy.js';
import type { CreateBackupPolicyRequest as _dodil_vbase_v1_CreateBackupPolicyRequest, CreateBackupPolicyRequest__Output as _dodil_vbase_v1_CreateBackupPolicyRequest__Output } from '../../../dodil/vbase/v1/CreateBackupPolicyRequest.js';
import type { CreateBackupRequest as _dodil_vbase_v1_CreateBackupRequest, CreateBackupRequest__Output as _dodil_vbase_v1_CreateBackupRequest__Output } from '../../../dodil/vbase/v1/CreateBackupRequest.js';
import type { DeleteBackupPolicyRequest as _dodil_vbase_v1_DeleteBackupPolicyRequest, DeleteBackupPolicyRequest__Output as _dodil_vbase_v1_DeleteBackupPolicyRequest__Output } from '../../../dodil/vbase/v1/DeleteBackupPolicyRequest.js';
import type { DeleteBackupPolicyResponse as _dodil_vbase_v1_DeleteBackupPolicyResponse, DeleteBackupPolicyResponse__Output as _dodil_vbase_v1_DeleteBackupPolicyResponse__Output } from '../../../dodil/vbase/v1/DeleteBackupPolicyResponse.js';
import type { DeleteBackupRequest as _dodil_vbase_v1_DeleteBackupRequest, DeleteBackupRequest__Output as _dodil_vbase_v1_DeleteBackupRequest__Output } from '../../../dodil/vbase/v1/DeleteBackupRequest.js';
import type { DeleteBackupResponse as _dodil_vbase_v1_DeleteBackupResponse, DeleteBackupResponse__Output as _dodil_vbase_v1_DeleteBackupResponse__Output } from '../../../dodil/vbase/v1/DeleteBackupResponse.js';
import type { ListBackupByOrgRequest as _dodil_vbase_v1_ListBackupByOrgRequest, ListBackupByOrgRequest__Output as _dodil_vbase_v1_ListBackupByOrgRequest__Output } from '../../../dodil/vbase/v1/ListBackupByOrgRequest.js';
import type { ListBackupByOrgResponse as _dodil_vbase_v1_ListBackupByOrgResponse, ListBackupByOrgResponse__Output as _dodil_vbase_v1_ListBackupByOrgResponse__Output } from '../../../dodil/vbase/v1/ListBackupByOrgResponse.js';
import type { ListBackupPoliciesRequest as _dodil_vbase_v1_ListBackupPoliciesRequest, ListBackupPoliciesRequest__Output as _dodil_vbase_v1_ListBackupPoliciesRequest__Output } from '../../../dodil/vbase/v1/ListBackupPoliciesRequest.js';
import type { ListBackupPoliciesResponse as _dodil_vbase_v1_ListBackupPoliciesResponse, ListBackupPoliciesResponse__Output as _dodil_vbase_v1_ListBackupPoliciesResponse__Output } from '../../../dodil/vbase/v1/ListBackupPoliciesResponse.js';
import type { ListBackupsRequest as _dodil_vbase_v1_ListBackupsRequest, ListBackupsRequest__Output as _dodil_vbase_v1_ListBackupsRequest__Output } from '../../../dodil/vbase/v1/ListBackupsRequest.js';
import type { ListBackupsResponse as _dodil_vbase_v1_ListBackupsResponse, ListBackupsResponse__Output as _dodil_vbase_v1_ListBackupsResponse__Output } from '../../../dodil/vbase/v1/ListBackupsResponse.js';
import type { RestoreBackupRequest as _dodil_vbase_v1_RestoreBackupRequest, RestoreBackupRequest__Output as _dodil_vbase_v1_RestoreBackupRequest__Output } from '../../../dodil/vbase/v1/RestoreBackupRequest.js';
import type { RestoreJob as _dodil_vbase_v1_RestoreJob, RestoreJob__Output as _dodil_vbase_v1_RestoreJob__Output } from '../../../dodil/vbase/v1/RestoreJob.js';
import type { UpdateBackupPolicyRequest as _dodil_vbase_v1_UpdateBackupPolicyRequest, UpdateBackupPolicyRequest__Output as _dodil_vbase_v1_UpdateBackupPolicyRequest__Output } from '../../../dodil/vbase/v1/UpdateBackupPolicyRequest.js';

/**
 * Backup lifecycle and recurring backup policies for VBase services.
 */
export interface VBaseServiceClient extends grpc.Client {
  /**
   * Trigger a backup job for a service's database collections.
   */
  CreateBackup(argument: _dodil_vbase_v1_CreateBackupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_Backup__Output>): grpc.ClientUnaryCall;
  CreateBackup(argument: _dodil_vbase_v1_CreateBackupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dodil_vbase_v1_Backup__Output>): grpc.ClientUnaryCall;
  CreateBackup(argument: _dodil_vbase_v1_CreateBackupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_Backup__Output>): grpc.ClientUnaryCall;
  CreateBackup(argument: _dodil_vbase_v1_CreateBackupRequest, callback: grpc.requestCallback<_dodil_vbase_v1_Backup__Output>): grpc.ClientUnaryCall;
  /**
   * Trigger a backup job for a service's database collections.
   */
  createBackup(argument: _dodil_vbase_v1_CreateBackupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_Backup__Output>): grpc.ClientUnaryCall;
  createBackup(argument: _dodil_vbase_v1_CreateBackupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dodil_vbase_v1_Backup__Output>): grpc.ClientUnaryCall;
  createBackup(argument: _dodil_vbase_v1_CreateBackupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_Backup__Output>): grpc.ClientUnaryCall;
  createBackup(argument: _dodil_vbase_v1_CreateBackupRequest, callback: grpc.requestCallback<_dodil_vbase_v1_Backup__Output>): grpc.ClientUnaryCall;
  
  /**
   * Create a recurring backup policy for a service.
   */
  CreateBackupPolicy(argument: _dodil_vbase_v1_CreateBackupPolicyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_BackupPolicy__Output>): grpc.ClientUnaryCall;
  CreateBackupPolicy(argument: _dodil_vbase_v1_CreateBackupPolicyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dodil_vbase_v1_BackupPolicy__Output>): grpc.ClientUnaryCall;
  CreateBackupPolicy(argument: _dodil_vbase_v1_CreateBackupPolicyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_BackupPolicy__Output>): grpc.ClientUnaryCall;
  CreateBackupPolicy(argument: _dodil_vbase_v1_CreateBackupPolicyRequest, callback: grpc.requestCallback<_dodil_vbase_v1_BackupPolicy__Output>): grpc.ClientUnaryCall;
  /**
   * Create a recurring backup policy for a service.
   */
  createBackupPolicy(argument: _dodil_vbase_v1_CreateBackupPolicyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_BackupPolicy__Output>): grpc.ClientUnaryCall;
  createBackupPolicy(argument: _dodil_vbase_v1_CreateBackupPolicyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dodil_vbase_v1_BackupPolicy__Output>): grpc.ClientUnaryCall;
  createBackupPolicy(argument: _dodil_vbase_v1_CreateBackupPolicyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_BackupPolicy__Output>): grpc.ClientUnaryCall;
  createBackupPolicy(argument: _dodil_vbase_v1_CreateBackupPolicyRequest, callback: grpc.requestCallback<_dodil_vbase_v1_BackupPolicy__Output>): grpc.ClientUnaryCall;
  
  /**
   * Delete a backup artifact, resolved by backup name within the service.
   */
  DeleteBackup(argument: _dodil_vbase_v1_DeleteBackupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_DeleteBackupResponse__Output>): grpc.ClientUnaryCall;
  DeleteBackup(argument: _dodil_vbase_v1_DeleteBackupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dodil_vbase_v1_DeleteBackupResponse__Output>): grpc.ClientUnaryCall;
  DeleteBackup(argument: _dodil_vbase_v1_DeleteBackupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_DeleteBackupResponse__Output>): grpc.ClientUnaryCall;
  DeleteBackup(argument: _dodil_vbase_v1_DeleteBackupRequest, callback: grpc.requestCallback<_dodil_vbase_v1_DeleteBackupResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Delete a backup artifact, resolved by backup name within the service.
   */
  deleteBackup(argument: _dodil_vbase_v1_DeleteBackupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_DeleteBackupResponse__Output>): grpc.ClientUnaryCall;
  deleteBackup(argument: _dodil_vbase_v1_DeleteBackupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dodil_vbase_v1_DeleteBackupResponse__Output>): grpc.ClientUnaryCall;
  deleteBackup(argument: _dodil_vbase_v1_DeleteBackupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_DeleteBackupResponse__Output>): grpc.ClientUnaryCall;
  deleteBackup(argument: _dodil_vbase_v1_DeleteBackupRequest, callback: grpc.requestCallback<_dodil_vbase_v1_DeleteBackupResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Remove a backup policy.
   */
  DeleteBackupPolicy(argument: _dodil_vbase_v1_DeleteBackupPolicyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_DeleteBackupPolicyResponse__Output>): grpc.ClientUnaryCall;
  DeleteBackupPolicy(argument: _dodil_vbase_v1_DeleteBackupPolicyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dodil_vbase_v1_DeleteBackupPolicyResponse__Output>): grpc.ClientUnaryCall;
  DeleteBackupPolicy(argument: _dodil_vbase_v1_DeleteBackupPolicyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_DeleteBackupPolicyResponse__Output>): grpc.ClientUnaryCall;
  DeleteBackupPolicy(argument: _dodil_vbase_v1_DeleteBackupPolicyRequest, callback: grpc.requestCallback<_dodil_vbase_v1_DeleteBackupPolicyResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Remove a backup policy.
   */
  deleteBackupPolicy(argument: _dodil_vbase_v1_DeleteBackupPolicyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_DeleteBackupPolicyResponse__Output>): grpc.ClientUnaryCall;
  deleteBackupPolicy(argument: _dodil_vbase_v1_DeleteBackupPolicyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dodil_vbase_v1_DeleteBackupPolicyResponse__Output>): grpc.ClientUnaryCall;
  deleteBackupPolicy(argument: _dodil_vbase_v1_DeleteBackupPolicyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_DeleteBackupPolicyResponse__Output>): grpc.ClientUnaryCall;
  deleteBackupPolicy(argument: _dodil_vbase_v1_DeleteBackupPolicyRequest, callback: grpc.requestCallback<_dodil_vbase_v1_DeleteBackupPolicyResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * List the backup jobs of an organization across all its services.
   */
  ListBackupByOrg(argument: _dodil_vbase_v1_ListBackupByOrgRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_ListBackupByOrgResponse__Output>): grpc.ClientUnaryCall;
  ListBackupByOrg(argument: _dodil_vbase_v1_ListBackupByOrgRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dodil_vbase_v1_ListBackupByOrgResponse__Output>): grpc.ClientUnaryCall;
  ListBackupByOrg(argument: _dodil_vbase_v1_ListBackupByOrgRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_ListBackupByOrgResponse__Output>): grpc.ClientUnaryCall;
  ListBackupByOrg(argument: _dodil_vbase_v1_ListBackupByOrgRequest, callback: grpc.requestCallback<_dodil_vbase_v1_ListBackupByOrgResponse__Output>): grpc.ClientUnaryCall;
  /**
   * List the backup jobs of an organization across all its services.
   */
  listBackupByOrg(argument: _dodil_vbase_v1_ListBackupByOrgRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_ListBackupByOrgResponse__Output>): grpc.ClientUnaryCall;
  listBackupByOrg(argument: _dodil_vbase_v1_ListBackupByOrgRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dodil_vbase_v1_ListBackupByOrgResponse__Output>): grpc.ClientUnaryCall;
  listBackupByOrg(argument: _dodil_vbase_v1_ListBackupByOrgRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_ListBackupByOrgResponse__Output>): grpc.ClientUnaryCall;
  listBackupByOrg(argument: _dodil_vbase_v1_ListBackupByOrgRequest, callback: grpc.requestCallback<_dodil_vbase_v1_ListBackupByOrgResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Extension: not in the published method inventory. List the backup
   * policies of one service. An upstream without it answers UNIMPLEMENTED.
   */
  ListBackupPolicies(argument: _dodil_vbase_v1_ListBackupPoliciesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_ListBackupPoliciesResponse__Output>): grpc.ClientUnaryCall;
  ListBackupPolicies(argument: _dodil_vbase_v1_ListBackupPoliciesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dodil_vbase_v1_ListBackupPoliciesResponse__Output>): grpc.ClientUnaryCall;
  ListBackupPolicies(argument: _dodil_vbase_v1_ListBackupPoliciesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_ListBackupPoliciesResponse__Output>): grpc.ClientUnaryCall;
  ListBackupPolicies(argument: _dodil_vbase_v1_ListBackupPoliciesRequest, callback: grpc.requestCallback<_dodil_vbase_v1_ListBackupPoliciesResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Extension: not in the published method inventory. List the backup
   * policies of one service. An upstream without it answers UNIMPLEMENTED.
   */
  listBackupPolicies(argument: _dodil_vbase_v1_ListBackupPoliciesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_ListBackupPoliciesResponse__Output>): grpc.ClientUnaryCall;
  listBackupPolicies(argument: _dodil_vbase_v1_ListBackupPoliciesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dodil_vbase_v1_ListBackupPoliciesResponse__Output>): grpc.ClientUnaryCall;
  listBackupPolicies(argument: _dodil_vbase_v1_ListBackupPoliciesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_ListBackupPoliciesResponse__Output>): grpc.ClientUnaryCall;
  listBackupPolicies(argument: _dodil_vbase_v1_ListBackupPoliciesRequest, callback: grpc.requestCallback<_dodil_vbase_v1_ListBackupPoliciesResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * List the backup jobs of one service.
   */
  ListBackups(argument: _dodil_vbase_v1_ListBackupsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  ListBackups(argument: _dodil_vbase_v1_ListBackupsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dodil_vbase_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  ListBackups(argument: _dodil_vbase_v1_ListBackupsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  ListBackups(argument: _dodil_vbase_v1_ListBackupsRequest, callback: grpc.requestCallback<_dodil_vbase_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * List the backup jobs of one service.
   */
  listBackups(argument: _dodil_vbase_v1_ListBackupsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  listBackups(argument: _dodil_vbase_v1_ListBackupsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dodil_vbase_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  listBackups(argument: _dodil_vbase_v1_ListBackupsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  listBackups(argument: _dodil_vbase_v1_ListBackupsRequest, callback: grpc.requestCallback<_dodil_vbase_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Trigger a restore job from an existing backup, by backup name.
   */
  RestoreBackup(argument: _dodil_vbase_v1_RestoreBackupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_RestoreJob__Output>): grpc.ClientUnaryCall;
  RestoreBackup(argument: _dodil_vbase_v1_RestoreBackupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dodil_vbase_v1_RestoreJob__Output>): grpc.ClientUnaryCall;
  RestoreBackup(argument: _dodil_vbase_v1_RestoreBackupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_RestoreJob__Output>): grpc.ClientUnaryCall;
  RestoreBackup(argument: _dodil_vbase_v1_RestoreBackupRequest, callback: grpc.requestCallback<_dodil_vbase_v1_RestoreJob__Output>): grpc.ClientUnaryCall;
  /**
   * Trigger a restore job from an existing backup, by backup name.
   */
  restoreBackup(argument: _dodil_vbase_v1_RestoreBackupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_RestoreJob__Output>): grpc.ClientUnaryCall;
  restoreBackup(argument: _dodil_vbase_v1_RestoreBackupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dodil_vbase_v1_RestoreJob__Output>): grpc.ClientUnaryCall;
  restoreBackup(argument: _dodil_vbase_v1_RestoreBackupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_RestoreJob__Output>): grpc.ClientUnaryCall;
  restoreBackup(argument: _dodil_vbase_v1_RestoreBackupRequest, callback: grpc.requestCallback<_dodil_vbase_v1_RestoreJob__Output>): grpc.ClientUnaryCall;
  
  /**
   * Modify a policy's schedule, retention or active status.
   */
  UpdateBackupPolicy(argument: _dodil_vbase_v1_UpdateBackupPolicyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_BackupPolicy__Output>): grpc.ClientUnaryCall;
  UpdateBackupPolicy(argument: _dodil_vbase_v1_UpdateBackupPolicyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dodil_vbase_v1_BackupPolicy__Output>): grpc.ClientUnaryCall;
  UpdateBackupPolicy(argument: _dodil_vbase_v1_UpdateBackupPolicyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_BackupPolicy__Output>): grpc.ClientUnaryCall;
  UpdateBackupPolicy(argument: _dodil_vbase_v1_UpdateBackupPolicyRequest, callback: grpc.requestCallback<_dodil_vbase_v1_BackupPolicy__Output>): grpc.ClientUnaryCall;
  /**
   * Modify a policy's schedule, retention or active status.
   */
  updateBackupPolicy(argument: _dodil_vbase_v1_UpdateBackupPolicyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_BackupPolicy__Output>): grpc.ClientUnaryCall;
  updateBackupPolicy(argument: _dodil_vbase_v1_UpdateBackupPolicyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dodil_vbase_v1_BackupPolicy__Output>): grpc.ClientUnaryCall;
  updateBackupPolicy(argument: _dodil_vbase_v1_UpdateBackupPolicyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dodil_vbase_v1_BackupPolicy__Output>): grpc.ClientUnaryCall;
  updateBackupPolicy(argument: _dodil_vbase_v1_UpdateBackupPolicyRequest, callback: grpc.requestCallback<_dodil_vbase_v1_BackupPolicy__Output>): grpc.ClientUnaryCall;
  
}

/**
 * Backup lifecycle and recurring backup policies for VBase services.
 */
export interface VBaseServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Trigger a backup job for a service's database collections.
   */
  CreateBackup: grpc.handleUnaryCall<_dodil_vbase_v1_CreateBackupRequest__Output, _dodil_vbase_v1_Backup>;
  
  /**
   * Create a recurring backup policy for a service.
   */
  CreateBackupPolicy: grpc.handleUnaryCall<_dodil_vbase_v1_CreateBackupPolicyRequest__Output, _dodil_vbase_v1_BackupPolicy>;
  
  /**
   * Delete a backup artifact, resolved by backup name within the service.
   */
  DeleteBackup: grpc.handleUnaryCall<_dodil_vbase_v1_DeleteBackupRequest__Output, _dodil_vbase_v1_DeleteBackupResponse>;
  
  /**
   * Remove a backup policy.
   */
  DeleteBackupPolicy: grpc.handleUnaryCall<_dodil_vbase_v1_DeleteBackupPolicyRequest__Output, _dodil_vbase_v1_DeleteBackupPolicyResponse>;
  
  /**
   * List the backup jobs of an organization across all its services.
   */
  ListBackupByOrg: grpc.handleUnaryCall<_dodil_vbase_v1_ListBackupByOrgRequest__Output, _dodil_vbase_v1_ListBackupByOrgResponse>;
  
  /**
   * Extension: not in the published method inventory. List the backup
   * policies of one service. An upstream without it answers UNIMPLEMENTED.
   */
  ListBackupPolicies: grpc.handleUnaryCall<_dodil_vbase_v1_ListBackupPoliciesRequest__Output, _dodil_vbase_v1_ListBackupPoliciesResponse>;
  
  /**
   * List the backup jobs of one service.
   */
  ListBackups: grpc.handleUnaryCall<_dodil_vbase_v1_ListBackupsRequest__Output, _dodil_vbase_v1_ListBackupsResponse>;
  
  /**
   * Trigger a restore job from an existing backup, by backup name.
   */
  RestoreBackup: grpc.handleUnaryCall<_dodil_vbase_v1_RestoreBackupRequest__Output, _dodil_vbase_v1_RestoreJob>;
  
  /**
   * Modify a policy's schedule, retention or active status.
   */
  UpdateBackupPolicy: grpc.handleUnaryCall<_dodil_vbase_v1_UpdateBackupPolicyRequest__Output, _dodil_vbase_v1_BackupPolicy>;
  
}

export interface VBaseServiceDefinition extends grpc.ServiceDefinition {
  CreateBackup: MethodDefinition<_dodil_vbase_v1_CreateBackupRequest, _dodil_vbase_v1_Backup, _dodil_vbase_v1_CreateBackupRequest__Output, _dodil_vbase_v1_Backup__Output>
  CreateBackupPolicy: MethodDefinition<_dodil_vbase_v1_CreateBackupPolicyRequest, _dodil_vbase_v1_BackupPolicy, _dodil_vbase_v1_CreateBackupPolicyRequest__Output, _dodil_vbase_v1_BackupPolicy__Output>
  DeleteBackup: MethodDefinition<_dodil_vbase_v1_DeleteBackupRequest, _dodil_vbase_v1_DeleteBackupResponse, _dodil_vbase_v1_DeleteBackupRequest__Output, _dodil_vbase_v1_DeleteBackupResponse__Output>
  DeleteBackupPolicy: MethodDefinition<_dodil_vbase_v1_DeleteBackupPolicyRequest, _dodil_vbase_v1_DeleteBackupPolicyResponse, _dodil_vbase_v1_DeleteBackupPolicyRequest__Output, _dodil_vbase_v1_DeleteBackupPolicyResponse__Output>
  ListBackupByOrg: MethodDefinition<_dodil_vbase_v1_ListBackupByOrgRequest, _dodil_vbase_v1_ListBackupByOrgResponse, _dodil_vbase_v1_ListBackupByOrgRequest__Output, _dodil_vbase_v1_ListBackupByOrgResponse__Output>
  ListBackupPolicies: MethodDefinition<_dodil_vbase_v1_ListBackupPoliciesRequest, _dodil_vbase_v1_ListBackupPoliciesResponse, _dodil_vbase_v1_ListBackupPoliciesRequest__Output, _dodil_vbase_v1_ListBackupPoliciesResponse__Output>
  ListBackups: MethodDefinition<_dodil_vbase_v1_ListBackupsRequest, _dodil_vbase_v1_ListBackupsResponse, _dodil_vbase_v1_ListBackupsRequest__Output, _dodil_vbase_v1_ListBackupsResponse__Output>
  RestoreBackup: MethodDefinition<_dodil_vbase_v1_RestoreBackupRequest, _dodil_vbase_v1_RestoreJob, _dodil_vbase_v1_RestoreBackupRequest__Output, _dodil_vbase_v1_RestoreJob__Output>
  UpdateBackupPolicy: MethodDefinition<_dodil_vbase_v1_UpdateBackupPolicyRequest, _dodil_vbase_v1_BackupPolicy, _dodil_vbase_v1_UpdateBackupPolicyRequest__Output, _dodil_vbase_v1_BackupPolicy__Output>
}
