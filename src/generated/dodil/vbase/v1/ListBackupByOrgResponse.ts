// Original file: proto/dodil/vbase/v1/vbase.proto

import type { Backup as _dodil_vbase_v1_Backup, Backup__Output as _dodil_vbase_v1_Backup__Output } from '../../../dodil/vbase/v1/Backup.js';

/**
 * The backups of an organization across its services.
 */
export interface ListBackupByOrgResponse {
  /**
   * The organization's backup jobs, in no particular order.
   */
  'backups'?: (_dodil_vbase_v1_Backup)[];
}

/**
 * The backups of an organization across its services.
 */
export interface ListBackupByOrgResponse__Output {
  /**
   * The organization's backup jobs, in no particular order.
   */
  'backups': (_dodil_vbase_v1_Backup__Output)[];
}
