import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { Backup as _dodil_vbase_v1_Backup, Backup__Output as _dodil_vbase_v1_Backup__Output } from './dodil/vbase/v1/Backup.js';
import type { BackupPolicy as _dodil_vbase_v1_BackupPolicy, BackupPolicy__Output as _dodil_vbase_v1_BackupPolicy__Output } from './dodil/vbase/v1/BackupPolicy.js';
import type { CreateBackupPolicyRequest as _dodil_vbase_v1_CreateBackupPolicyRequest, CreateBackupPolicyRequest__Output as _dodil_vbase_v1_CreateBackupPolicyRequest__Output } from './dodil/vbase/v1/CreateBackupPolicyRequest.js';
import type { CreateBackupRequest as _dodil_vbase_v1_CreateBackupRequest, CreateBackupRequest__Output as _dodil_vbase_v1_CreateBackupRequest__Output } from './dodil/vbase/v1/CreateBackupRequest.js';
import type { DeleteBackupPolicyRequest as _dodil_vbase_v1_DeleteBackupPolicyRequest, DeleteBackupPolicyRequest__Output as _dodil_vbase_v1_DeleteBackupPolicyRequest__Output } from './dodil/vbase/v1/DeleteBackupPolicyRequest.js';
import type { DeleteBackupPolicyResponse as _dodil_vbase_v1_DeleteBackupPolicyResponse, DeleteBackupPolicyResponse__Output as _dodil_vbase_v1_DeleteBackupPolicyResponse__Output } from './dodil/vbase/v1/DeleteBackupPolicyResponse.js';
import type { DeleteBackupRequest as _dodil_vbase_v1_DeleteBackupRequest, DeleteBackupRequest__Output as _dodil_vbase_v1_DeleteBackupRequest__Output } from './dodil/vbase/v1/DeleteBackupRequest.js';
import type { DeleteBackupResponse as _dodil_vbase_v1_DeleteBackupResponse, DeleteBackupResponse__Output as _dodil_vbase_v1_DeleteBackupResponse__Output } from './dodil/vbase/v1/DeleteBackupResponse.js';
import type { ListBackupByOrgRequest as _dodil_vbase_v1_ListBackupByOrgRequest, ListBackupByOrgRequest__Output as _dodil_vbase_v1_ListBackupByOrgRequest__Output } from './dodil/vbase/v1/ListBackupByOrgRequest.js';
import type { ListBackupByOrgResponse as _dodil_vbase_v1_ListBackupByOrgResponse, ListBackupByOrgResponse__Output as _dodil_vbase_v1_ListBackupByOrgResponse__Output } from './dodil/vbase/v1/ListBackupByOrgResponse.js';
import type { ListBackupPoliciesRequest as _dodil_vbase_v1_ListBackupPoliciesRequest, ListBackupPoliciesRequest__Output as _dodil_vbase_v1_ListBackupPoliciesRequest__Output } from './dodil/vbase/v1/ListBackupPoliciesRequest.js';
import type { ListBackupPoliciesResponse as _dodil_vbase_v1_ListBackupPoliciesResponse, ListBackupPoliciesResponse__Output as _dodil_vbase_v1_ListBackupPoliciesResponse__Output } from './dodil/vbase/v1/ListBackupPoliciesResponse.js';
import type { ListBackupsRequest as _dodil_vbase_v1_ListBackupsRequest, ListBackupsRequest__Output as _dodil_vbase_v1_ListBackupsRequest__Output } from './dodil/vbase/v1/ListBackupsRequest.js';
import type { ListBackupsResponse as _dodil_vbase_v1_ListBackupsResponse, ListBackupsResponse__Output as _dodil_vbase_v1_ListBackupsResponse__Output } from './dodil/vbase/v1/ListBackupsResponse.js';
import type { RestoreBackupRequest as _dodil_vbase_v1_RestoreBackupRequest, RestoreBackupRequest__Output as _dodil_vbase_v1_RestoreBackupRequest__Output } from './dodil/vbase/v1/RestoreBackupRequest.js';
import type { RestoreJob as _dodil_vbase_v1_RestoreJob, RestoreJob__Output as _dodil_vbase_v1_RestoreJob__Output } from './dodil/vbase/v1/RestoreJob.js';
import type { UpdateBackupPolicyRequest as _dodil_vbase_v1_UpdateBackupPolicyRequest, UpdateBackupPolicyRequest__Output as _dodil_vbase_v1_UpdateBackupPolicyRequest__Output } from './dodil/vbase/v1/UpdateBackupPolicyRequest.js';
import type { VBaseServiceClient as _dodil_vbase_v1_VBaseServiceClient, VBaseServiceDefinition as _dodil_vbase_v1_VBaseServiceDefinition } from './dodil/vbase/v1/VBaseService.js';
import type { CustomHttpPattern as _google_api_CustomHttpPattern, CustomHttpPattern__Output as _google_api_CustomHttpPattern__Output } from './google/api/CustomHttpPattern.js';
import type { Http as _google_api_Http, Http__Output as _google_api_Http__Output } from './google/api/Http.js';
import type { HttpRule as _google_api_HttpRule, HttpRule__Output as _google_api_HttpRule__Output } from './google/api/HttpRule.js';
import type { DescriptorProto as _google_protobuf_DescriptorProto, DescriptorProto__Output as _google_protobuf_DescriptorProto__Output } from './google/protobuf/DescriptorProto.js';
import type { EnumDescriptorProto as _google_protobuf_EnumDescriptorProto, EnumDescriptorProto__Output as _google_protobuf_EnumDescriptorProto__Output } from './google/protobuf/EnumDescriptorProto.js';
import type { EnumOptions as _google_protobuf_EnumOptions, EnumOptions__Output as _google_protobuf_EnumOptions__Output } from './google/protobuf/EnumOptions.js';
import type { EnumValueDescriptorProto as _google_protobuf_EnumValueDescriptorProto, EnumValueDescriptorProto__Output as _google_protobuf_EnumValueDescriptorProto__Output } from './google/protobuf/EnumValueDescriptorProto.js';
import type { EnumValueOptions as _google_protobuf_EnumValueOptions, EnumValueOptions__Output as _google_protobuf_EnumValueOptions__Output } from './google/protobuf/EnumValueOptions.js';
import type { ExtensionRangeOptions as _google_protobuf_ExtensionRangeOptions, ExtensionRangeOptions__Output as _google_protobuf_ExtensionRangeOptions__Output } from './google/protobuf/ExtensionRangeOptions.js';
import type { FeatureSet as _google_protobuf_FeatureSet, FeatureSet__Output as _google_protobuf_FeatureSet__Output } from './google/protobuf/FeatureSet.js';
import type { FeatureSetDefaults as _google_protobuf_FeatureSetDefaults, FeatureSetDefaults__Output as _google_protobuf_FeatureSetDefaults__Output } from './google/protobuf/FeatureSetDefaults.js';
import type { FieldDescriptorProto as _google_protobuf_FieldDescriptorProto, FieldDescriptorProto__Output as _google_protobuf_FieldDescriptorProto__Output } from './google/protobuf/FieldDescriptorProto.js';
import type { FieldOptions as _google_protobuf_FieldOptions, FieldOptions__Output as _google_protobuf_FieldOptions__Output } from './google/protobuf/FieldOptions.js';
import type { FileDescriptorProto as _google_protobuf_FileDescriptorProto, FileDescriptorProto__Output as _google_protobuf_FileDescriptorProto__Output } from './google/protobuf/FileDescriptorProto.js';
import type { FileDescriptorSet as _google_protobuf_FileDescriptorSet, FileDescriptorSet__Output as _google_protobuf_FileDescriptorSet__Output } from './google/protobuf/FileDescriptorSet.js';
import type { FileOptions as _google_protobuf_FileOptions, FileOptions__Output as _google_protobuf_FileOptions__Output } from './google/protobuf/FileOptions.js';
import type { GeneratedCodeInfo as _google_protobuf_GeneratedCodeInfo, GeneratedCodeInfo__Output as _google_protobuf_GeneratedCodeInfo__Output } from './google/protobuf/GeneratedCodeInfo.js';
import type { MessageOptions as _google_protobuf_MessageOptions, MessageOptions__Output as _google_protobuf_MessageOptions__Output } from './google/protobuf/MessageOptions.js';
import type { MethodDescriptorProto as _google_protobuf_MethodDescriptorProto, MethodDescriptorProto__Output as _google_protobuf_MethodDescriptorProto__Output } from './google/protobuf/MethodDescriptorProto.js';
import type { MethodOptions as _google_protobuf_MethodOptions, MethodOptions__Output as _google_protobuf_MethodOptions__Output } from './google/protobuf/MethodOptions.js';
import type { OneofDescriptorProto as _google_protobuf_OneofDescriptorProto, OneofDescriptorProto__Output as _google_protobuf_OneofDescriptorProto__Output } from './google/protobuf/OneofDescriptorProto.js';
import type { OneofOptions as _google_protobuf_OneofOptions, OneofOptions__Output as _google_protobuf_OneofOptions__Output } from './google/protobuf/OneofOptions.js';
import type { ServiceDescriptorProto as _google_protobuf_ServiceDescriptorProto, ServiceDescriptorProto__Output as _google_protobuf_ServiceDescriptorProto__Output } from './google/protobuf/ServiceDescriptorProto.js';
import type { ServiceOptions as _google_protobuf_ServiceOptions, ServiceOptions__Output as _google_protobuf_ServiceOptions__Output } from './google/protobuf/ServiceOptions.js';
import type { SourceCodeInfo as _google_protobuf_SourceCodeInfo, SourceCodeInfo__Output as _google_protobuf_SourceCodeInfo__Output } from './google/protobuf/SourceCodeInfo.js';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from './google/protobuf/Timestamp.js';
import type { UninterpretedOption as _google_protobuf_UninterpretedOption, UninterpretedOption__Output as _google_protobuf_UninterpretedOption__Output } from './google/protobuf/UninterpretedOption.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  dodil: {
    vbase: {
      v1: {
        Backup: MessageTypeDefinition<_dodil_vbase_v1_Backup, _dodil_vbase_v1_Backup__Output>
        BackupPolicy: MessageTypeDefinition<_dodil_vbase_v1_BackupPolicy, _dodil_vbase_v1_BackupPolicy__Output>
        CreateBackupPolicyRequest: MessageTypeDefinition<_dodil_vbase_v1_CreateBackupPolicyRequest, _dodil_vbase_v1_CreateBackupPolicyRequest__Output>
        CreateBackupRequest: MessageTypeDefinition<_dodil_vbase_v1_CreateBackupRequest, _dodil_vbase_v1_CreateBackupRequest__Output>
        DeleteBackupPolicyRequest: MessageTypeDefinition<_dodil_vbase_v1_DeleteBackupPolicyRequest, _dodil_vbase_v1_DeleteBackupPolicyRequest__Output>
        DeleteBackupPolicyResponse: MessageTypeDefinition<_dodil_vbase_v1_DeleteBackupPolicyResponse, _dodil_vbase_v1_DeleteBackupPolicyResponse__Output>
        DeleteBackupRequest: MessageTypeDefinition<_dodil_vbase_v1_DeleteBackupRequest, _dodil_vbase_v1_DeleteBackupRequest__Output>
        DeleteBackupResponse: MessageTypeDefinition<_dodil_vbase_v1_DeleteBackupResponse, _dodil_vbase_v1_DeleteBackupResponse__Output>
        JobStatus: EnumTypeDefinition
        ListBackupByOrgRequest: MessageTypeDefinition<_dodil_vbase_v1_ListBackupByOrgRequest, _dodil_vbase_v1_ListBackupByOrgRequest__Output>
        ListBackupByOrgResponse: MessageTypeDefinition<_dodil_vbase_v1_ListBackupByOrgResponse, _dodil_vbase_v1_ListBackupByOrgResponse__Output>
        ListBackupPoliciesRequest: MessageTypeDefinition<_dodil_vbase_v1_ListBackupPoliciesRequest, _dodil_vbase_v1_ListBackupPoliciesRequest__Output>
        ListBackupPoliciesResponse: MessageTypeDefinition<_dodil_vbase_v1_ListBackupPoliciesResponse, _dodil_vbase_v1_ListBackupPoliciesResponse__Output>
        ListBackupsRequest: MessageTypeDefinition<_dodil_vbase_v1_ListBackupsRequest, _dodil_vbase_v1_ListBackupsRequest__Output>
        ListBackupsResponse: MessageTypeDefinition<_dodil_vbase_v1_ListBackupsResponse, _dodil_vbase_v1_ListBackupsResponse__Output>
        RestoreBackupRequest: MessageTypeDefinition<_dodil_vbase_v1_RestoreBackupRequest, _dodil_vbase_v1_RestoreBackupRequest__Output>
        RestoreJob: MessageTypeDefinition<_dodil_vbase_v1_RestoreJob, _dodil_vbase_v1_RestoreJob__Output>
        UpdateBackupPolicyRequest: MessageTypeDefinition<_dodil_vbase_v1_UpdateBackupPolicyRequest, _dodil_vbase_v1_UpdateBackupPolicyRequest__Output>
        /**
         * Backup lifecycle and recurring backup policies for VBase services.
         */
        VBaseService: SubtypeConstructor<typeof grpc.Client, _dodil_vbase_v1_VBaseServiceClient> & { service: _dodil_vbase_v1_VBaseServiceDefinition }
      }
    }
  }
  google: {
    api: {
      CustomHttpPattern: MessageTypeDefinition<_google_api_CustomHttpPattern, _google_api_CustomHttpPattern__Output>
      FieldBehavior: EnumTypeDefinition
      Http: MessageTypeDefinition<_google_api_Http, _google_api_Http__Output>
      HttpRule: MessageTypeDefinition<_google_api_HttpRule, _google_api_HttpRule__Output>
    }
    protobuf: {
      DescriptorProto: MessageTypeDefinition<_google_protobuf_DescriptorProto, _google_protobuf_DescriptorProto__Output>
      Edition: EnumTypeDefinition
      EnumDescriptorProto: MessageTypeDefinition<_google_protobuf_EnumDescriptorProto, _google_protobuf_EnumDescriptorProto__Output>
      EnumOptions: MessageTypeDefinition<_google_protobuf_EnumOptions, _google_protobuf_EnumOptions__Output>
      EnumValueDescriptorProto: MessageTypeDefinition<_google_protobuf_EnumValueDescriptorProto, _google_protobuf_EnumValueDescriptorProto__Output>
      EnumValueOptions: MessageTypeDefinition<_google_protobuf_EnumValueOptions, _google_protobuf_EnumValueOptions__Output>
      ExtensionRangeOptions: MessageTypeDefinition<_google_protobuf_ExtensionRangeOptions, _google_protobuf_ExtensionRangeOptions__Output>
      FeatureSet: MessageTypeDefinition<_google_protobuf_FeatureSet, _google_protobuf_FeatureSet__Output>
      FeatureSetDefaults: MessageTypeDefinition<_google_protobuf_FeatureSetDefaults, _google_protobuf_FeatureSetDefaults__Output>
      FieldDescriptorProto: MessageTypeDefinition<_google_protobuf_FieldDescriptorProto, _google_protobuf_FieldDescriptorProto__Output>
      FieldOptions: MessageTypeDefinition<_google_protobuf_FieldOptions, _google_protobuf_FieldOptions__Output>
      FileDescriptorProto: MessageTypeDefinition<_google_protobuf_FileDescriptorProto, _google_protobuf_FileDescriptorProto__Output>
      FileDescriptorSet: MessageTypeDefinition<_google_protobuf_FileDescriptorSet, _google_protobuf_FileDescriptorSet__Output>
      FileOptions: MessageTypeDefinition<_google_protobuf_FileOptions, _google_protobuf_FileOptions__Output>
      GeneratedCodeInfo: MessageTypeDefinition<_google_protobuf_GeneratedCodeInfo, _google_protobuf_GeneratedCodeInfo__Output>
      MessageOptions: MessageTypeDefinition<_google_protobuf_MessageOptions, _google_protobuf_MessageOptions__Output>
      MethodDescriptorProto: MessageTypeDefinition<_google_protobuf_MethodDescriptorProto, _google_protobuf_MethodDescriptorProto__Output>
      MethodOptions: MessageTypeDefinition<_google_protobuf_MethodOptions, _google_protobuf_MethodOptions__Output>
      OneofDescriptorProto: MessageTypeDefinition<_google_protobuf_OneofDescriptorProto, _google_protobuf_OneofDescriptorProto__Output>
      OneofOptions: MessageTypeDefinition<_google_protobuf_OneofOptions, _google_protobuf_OneofOptions__Output>
      ServiceDescriptorProto: MessageTypeDefinition<_google_protobuf_ServiceDescriptorProto, _google_protobuf_ServiceDescriptorProto__Output>
      ServiceOptions: MessageTypeDefinition<_google_protobuf_ServiceOptions, _google_protobuf_ServiceOptions__Output>
      SourceCodeInfo: MessageTypeDefinition<_google_protobuf_SourceCodeInfo, _google_protobuf_SourceCodeInfo__Output>
      SymbolVisibility: EnumTypeDefinition
      Timestamp: MessageTypeDefinition<_google_protobuf_Timestamp, _google_protobuf_Timestamp__Output>
      UninterpretedOption: MessageTypeDefinition<_google_protobuf_UninterpretedOption, _google_protobuf_UninterpretedOption__Output>
    }
  }
}

