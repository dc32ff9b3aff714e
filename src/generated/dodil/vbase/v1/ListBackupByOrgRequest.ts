// Original file: proto/dodil/vbase/v1/vbase.proto


/**
 * Request to list the backups of an organization across its services.
 */
export interface ListBackupByOrgRequest {
  /**
   * Organization UUID whose backups are listed.
   */
  'organization_id'?: (string);
}

/**
 * Request to list the backups of an organization across its services.
 */
export interface ListBackupByOrgRequest__Output {
  /**
   * Organization UUID whose backups are listed.
   */
  'organization_id': (string);
}
