#!/usr/bin/python3
"""Writes the trace fixtures of test_traces.c (run from anywhere).

They are tiny and committed; this script documents their exact bytes
(a BOM, CRLF, GBK) and regenerates them. Times are on Monday 2026-11-16.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, data):
    if isinstance(data, str):
        data = data.encode('utf-8')
    with open(os.path.join(HERE, name), 'wb') as f:
        f.write(data)


# Unsorted rows and a duplicate, kept as they are, in file order.
write('basic.csv',
      'member_id,time,lon,lat,accuracy_m\n'
      'M2,2026-11-16T08:00:10+08:00,116.3975,39.9087,5.0\n'
      'M1,2026-11-16 08:00:00,116.397,39.909,\n'
      'M1,2026-11-16T00:00:30Z,116.3971,39.9091,3.5\n'
      'M1,2026-11-16 08:00:20,116.3972,39.9092,4\n'
      'M1,2026-11-16 08:00:20,116.3972,39.9092,4\n'
      'M2,2026/11/16 08:00:05,116.3976,39.9086,5.0\n')

# A BOM, CRLF, quoted fields with commas and a quoted line break (the row
# of line 3 ends on line 4), a quoted member id with a comma.
write('bom_crlf.csv',
      '\ufeffmember_id,time,lon,lat,accuracy_m,note\r\n'
      'M1,2026-11-16 08:00:00,116.397,39.909,5,"park, north gate"\r\n'
      'M1,2026-11-16 08:00:10,116.3971,39.9091,5,"two\r\nlines"\r\n'
      '"M,2",2026-11-16 08:00:20,116.3972,39.9092,5,plain\r\n'
      'M1,2026-11-16 08:00:30,116.3973,39.9093,5,\r\n')

# Tab-separated, with alias column names and spaces around values.
write('tabs.tsv',
      'member_id\ttimestamp\tlng\tlatitude\n'
      'M1\t2026-11-16 08:00:00\t116.397\t39.909\n'
      'M1\t 2026-11-16 08:00:10 \t 116.3971 \t39.9091\n')

# Excel on Chinese Windows: GBK, Chinese column names and member names.
gbk = ('网格员编号,时间,经度,纬度,精度\r\n'
       '张三,2026-11-16 08:00:00,116.397,39.909,5\r\n'
       '李四,2026-11-16 08:00:05,116.398,39.908,\r\n'
       '张三,2026-11-16 08:00:10,116.3971,39.9091,6\r\n')
write('gbk.csv', gbk.encode('gbk'))

# Epoch seconds, milliseconds, seconds with a fraction.
write('epoch.csv',
      'member_id,time,lon,lat\n'
      'M1,1794789000,116.397,39.909\n'
      'M1,1794789000123,116.397,39.909\n'
      'M1,1794789000.5,116.397,39.909\n')

# One bad row of each kind, blank rows, two good rows (lines 2 and 15).
write('bad.csv',
      'member_id,time,lon,lat,accuracy_m\n'
      'M1,2026-11-16 08:00:00,116.397,39.909,5\n'
      'M1,2026-13-16 08:00:00,116.397,39.909,5\n'
      'M1,2026-11-31 08:00:00,116.397,39.909,5\n'
      'M1,yesterday,116.397,39.909,5\n'
      'M1,2026-11-16 08:01:00,NaN,39.909,5\n'
      'M1,2026-11-16 08:02:00,116.397,95.5,5\n'
      ',2026-11-16 08:03:00,116.397,39.909,5\n'
      'M1,2026-11-16 08:04:00,116.397\n'
      'M1,2026-11-16 08:05:00,116.397,39.909,abc\n'
      'M1,2026-11-16 08:06:00,0,0,\n'
      '\n'
      ',,,,\n'
      'M2,2026-11-16 08:07:00,116.398,,\n'
      'M1,2026-11-16 08:08:00,116.397,39.909,5\n'
      'M1,2026-11-16 25:00:00,116.397,39.909,5,extra\n')

write('missing_lat.csv',
      'member_id,time,lon,acc\n'
      'M1,2026-11-16 08:00:00,116.397,5\n')
write('empty.csv', b'')
write('header_only.csv', 'member_id,time,lon,lat,accuracy_m\n')

# The platform's own column names, mapped with --field.
write('mapped.csv',
      'yonghu,shijian,jd,wd\n'
      'U7,2026-11-16 08:00:00,116.397,39.909\n')

# A phone's GPX log: no member field, so the member is the file's name.
write('walk.gpx', '''<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="gridsmith tests" xmlns="http://www.topografix.com/GPX/1/1">
  <trk><name>morning patrol</name><trkseg>
    <trkpt lat="39.9090" lon="116.3970"><time>2026-11-16T00:00:00Z</time></trkpt>
    <trkpt lat="39.9091" lon="116.3971"><time>2026-11-16T00:00:10Z</time></trkpt>
    <trkpt lat="39.9092" lon="116.3972"><time>2026-11-16T00:00:20.5Z</time></trkpt>
  </trkseg></trk>
</gpx>
''')
