// Original file: proto/dodil/vbase/v1/vbase.proto

import type { BackupPolicy as _dodil_vbase_v1_BackupPolicy, BackupPolicy__Output as _dodil_vbase_v1_BackupPolicy__Output } from '../../../dodil/vbase/v1/BackupPolicy.js';

/**
 * The result of deleting a backup policy.
 */
export interface DeleteBackupPolicyResponse {
  /**
   * The policy as it was when it was deleted.
   */
  'policy'?: (_dodil_vbase_v1_BackupPolicy | null);
}

/**
 * The result of deleting a backup policy.
 */
export interface DeleteBackupPolicyResponse__Output {
  /**
   * The policy as it was when it was deleted.
   */
  'policy': (_dodil_vbase_v1_BackupPolicy__Output | null);
}
