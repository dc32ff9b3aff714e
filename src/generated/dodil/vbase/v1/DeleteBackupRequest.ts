// Original file: proto/dodil/vbase/v1/vbase.proto


/**
 * Request to delete a backup artifact.
 */
export interface DeleteBackupRequest {
  /**
   * Service that owns the backup.
   */
  'service_id'?: (string);
  /**
   * Name of the backup to delete.
   */
  'backup_name'?: (string);
}

/**
 * Request to delete a backup artifact.
 */
export interface DeleteBackupRequest__Output {
  /**
   * Service that owns the backup.
   */
  'service_id': (string);
  /**
   * Name of the backup to delete.
   */
  'backup_name': (string);
}
