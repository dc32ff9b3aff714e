// Original file: proto/dodil/vbase/v1/vbase.proto

import type { BackupPolicy as _dodil_vbase_v1_BackupPolicy, BackupPolicy__Output as _dodil_vbase_v1_BackupPolicy__Output } from '../../../dodil/vbase/v1/BackupPolicy.js';

/**
 * Extension: the backup policies of one service.
 */
export interface ListBackupPoliciesResponse {
  /**
   * The service's backup policies, in no particular order.
   */
  'policies'?: (_dodil_vbase_v1_BackupPolicy)[];
}

/**
 * Extension: the backup policies of one service.
 */
export interface ListBackupPoliciesResponse__Output {
  /**
   * The service's backup policies, in no particular order.
   */
  'policies': (_dodil_vbase_v1_BackupPolicy__Output)[];
}
